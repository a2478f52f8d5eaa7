# SPDX-License-Identifier: BSD-2-Clause
# tools.mk: (placeholder until its issue lands)
