/*
 * roff.h - writing man pages (roff, man macros) from the same texts and
 * key tables as the Markdown reference, so `mdesiem help config --man`
 * (mdesiem.conf(5)) can never drift from docs/configuration.md.
 */
#ifndef MDS_ROFF_H
#define MDS_ROFF_H

#include "core/buf.h"
#include "core/config.h"

/* Appends `text` - prose with Markdown `code` spans, no newlines - as roff:
 * code spans in bold with literal hyphens, backslashes escaped, en and em
 * dashes as \(en \(em, and a leading '.' or '\'' made harmless. */
mds_err mds_roff_text(struct mds_buf *b, const char *text);

/* Appends one .TP entry per key: name, type, default, help. */
mds_err mds_roff_keys(struct mds_buf *b, const struct mds_conf_key *table);

#endif
