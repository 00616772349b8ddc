/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keys - the names of the metrics in Redis fields and in log lines.
 */
#include "keys.h"

const char *const keys_metric_letter[KEYS_NMETRIC] = {"m", "r", "B"};
const char *const keys_metric_name[KEYS_NMETRIC] = {
    "messages", "recipients", "bytes"};
