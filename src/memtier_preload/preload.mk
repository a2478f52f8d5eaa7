# SPDX-License-Identifier: BSD-2-Clause
# preload.mk: (placeholder until its issue lands)
