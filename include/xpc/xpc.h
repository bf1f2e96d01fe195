/*
 * <xpc/xpc.h> — Gantry's XPC API, Apple's names and layout: <xpc/base.h>
 * (objects), <xpc/connection.h> (connections), <xpc/endpoint.h>
 * (endpoints), and the standard headers Apple's <xpc/xpc.h> brings in.
 */
#ifndef GANTRY_XPC_H
#define GANTRY_XPC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <xpc/base.h>
#include <xpc/connection.h>
#include <xpc/endpoint.h>
#include <xpc/activity.h>

#endif
