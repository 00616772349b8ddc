/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef FG_VERSION_H
#define FG_VERSION_H
#define FLOODGATE_VERSION "0.1.0"
#define FLOODGATE_CONF    "/etc/floodgate/floodgate.conf"
#endif
