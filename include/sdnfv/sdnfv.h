/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Umbrella header: includes every public libsdnfv header.
 *
 * Layers depend downward only, so a program that needs one layer can include that layer's header
 * alone: pkt (parsing, flow keys, checksums), numa (placement), pool (per-socket packet memory and
 * per-packet metadata), ring (single-producer/single-consumer descriptor rings), flow (the flow
 * table: rules and an exact-match flow cache), service (service names, their live instances and
 * the choice of one instance per flow), nf (the NF SDK), mgr (host-manager building blocks), ofp
 * (the OpenFlow 1.3 agent of a manager).
 */
#ifndef SDNFV_SDNFV_H
#define SDNFV_SDNFV_H

#include <sdnfv/common.h>
#include <sdnfv/pkt.h>
#include <sdnfv/numa.h>
#include <sdnfv/pool.h>
#include <sdnfv/ring.h>
#include <sdnfv/flow.h>
#include <sdnfv/service.h>
#include <sdnfv/nf.h>
#include <sdnfv/mgr.h>
#include <sdnfv/ofp.h>

#endif /* SDNFV_SDNFV_H */
