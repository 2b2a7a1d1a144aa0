/* registry.c - the table of formats. Adding a format = one file + one line. */
#include <string.h>

#include "formats/format.h"
#include "formats/render.h"

extern const struct mds_format mds_format_json;
extern const struct mds_format mds_format_text;
extern const struct mds_format mds_format_legacy;
extern const struct mds_format mds_format_cef;
extern const struct mds_format mds_format_leef;
extern const struct mds_format mds_format_ecs;

const struct mds_format *const mds_formats[] = {
    &mds_format_json,
    &mds_format_text,
    &mds_format_legacy,
    &mds_format_cef,
    &mds_format_leef,
    &mds_format_ecs,
    NULL,
};

const struct mds_format *mds_format_find(const char *name)
{
    for (int i = 0; mds_formats[i]; i++)
        if (strcmp(mds_formats[i]->name, name) == 0)
            return mds_formats[i];
    return NULL;
}

static const char *const kind_names[] = {"graph", "mde", "siem", "stream"};

int mds_input_kind_parse(const char *name, enum mds_input_kind *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (enum mds_input_kind)i;
            return 0;
        }
    }
    return -1;
}

const char *mds_input_kind_name(enum mds_input_kind kind)
{
    return (unsigned)kind < 4 ? kind_names[kind] : "unknown";
}

int mds_evidence_policy_parse(const char *name, enum mds_evidence_policy *out)
{
    static const char *const names[] = {"first", "summary", "split"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum mds_evidence_policy)i;
            return 0;
        }
    }
    return -1;
}

void mds_format_opts_init(struct mds_format_opts *o)
{
    memset(o, 0, sizeof *o);
    o->evidence = MDS_EVIDENCE_FIRST;
    o->leef_delimiter = '\t';
}

void mds_format_ctx_init(struct mds_format_ctx *c)
{
    mds_json_init(&c->json);
    mds_buf_init(&c->scratch, 0);
    c->state = NULL;
}

void mds_format_ctx_finish(struct mds_format_ctx *c)
{
    mds_json_finish(&c->json);
    mds_buf_finish(&c->scratch);
    mds_fmt_state_destroy(c->state);
    c->state = NULL;
}
