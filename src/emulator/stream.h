/*
 * stream.h - the emulator's Streaming API producer: Advanced Hunting
 * events as Defender XDR sends them to Azure Event Hubs, produced to a
 * Kafka broker (a real one, or librdkafka's mock cluster started
 * in-process), so the eventhub source, its tests and benchmarks have a
 * stream to read without a tenant.
 *
 * Message bodies are {"records":[...]} (spec 4.2) with several records per
 * message and the tables mixed: DeviceProcessEvents, DeviceNetworkEvents,
 * DeviceFileEvents, DeviceLogonEvents, AlertInfo, AlertEvidence (columns
 * of spec 4.4; AdditionalFields and AttackTechniques as JSON-encoded
 * strings; timestamps with 7 fractional digits). Every byte is a function
 * of the seed and the message number only.
 */
#ifndef MDS_EMU_STREAM_H
#define MDS_EMU_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/timeutil.h"

/* `mdesiem emulate --stream kafka://HOST:PORT | --stream-mock ...`;
 * argv[0] is the command name. Returns the process exit code. */
int mds_emu_stream_main(int argc, char **argv);

struct mds_emu_stream_gen {
    uint64_t seed;
    mds_ticks base;  /* time of message 0 */
    int max_records; /* records per message: 1 .. max_records */
    char tenant[40];
};

void mds_emu_stream_gen_init(struct mds_emu_stream_gen *g, uint64_t seed, mds_ticks base, int max_records);

/* Appends the body of message number `m` holding at most `limit` records
 * (0 = no limit beyond max_records) to `out`; *nrecords gets the count.
 * Pure: the same (generator, m, limit) always gives the same bytes, and
 * two different messages never have equal bodies. */
mds_err mds_emu_stream_message(const struct mds_emu_stream_gen *g, uint64_t m, int limit, struct mds_buf *out,
                               int *nrecords);

/* Appends a malformed message body of kind `m % 5` (not JSON, truncated,
 * no records, a records entry that is not an object, records not an
 * array) for fault injection. */
mds_err mds_emu_stream_malformed(const struct mds_emu_stream_gen *g, uint64_t m, struct mds_buf *out);

#endif
