# SPDX-License-Identifier: BSD-2-Clause
# autohbw.mk: (placeholder until its issue lands)
