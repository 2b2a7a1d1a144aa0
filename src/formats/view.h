/*
 * view.h - one flat view of any Defender record, shared by every format.
 *
 * A Graph alert, an MDE API alert, a legacy SIEM detection and a Streaming
 * API record all fill the same array of slots. The first 50 slots are the
 * legacy detection fields in the order of the S1 sample (spec 1.5/1.6);
 * the rest are fields the legacy API never had (status, pid, ports...).
 * The legacy, cef, leef and ecs formats are then tables from slot to key.
 *
 * Building a view tokenises nothing and copies little: a slot points at
 * the bytes of a JSON token when the string has no escapes, or at decoded
 * or computed bytes in the view's arena. Everything a view holds stays
 * valid until the next mds_view_build() on it or mds_view_destroy().
 * One view per thread; it is reused across records (no per-record malloc
 * once the arena and evidence index have grown to the working size).
 */
#ifndef MDS_FORMATS_VIEW_H
#define MDS_FORMATS_VIEW_H

#include <stddef.h>

#include "core/buf.h"
#include "core/json.h"
#include "formats/format.h"

enum mds_slot {
    /* The legacy detection, S1 sample order (spec 1.6 numbers 1..50). */
    S_ALERT_TIME,
    S_COMPUTER_DNS,
    S_TITLE,
    S_CATEGORY,
    S_SEVERITY,
    S_ALERT_ID,
    S_ACTOR,
    S_LINK_WDATP,
    S_IOC_NAME,
    S_IOC_VALUE,
    S_CREATOR_IOC_NAME,
    S_CREATOR_IOC_VALUE,
    S_SHA1,
    S_FILE_NAME,
    S_FILE_PATH,
    S_IP,
    S_URL,
    S_IOA_ID,
    S_USER_NAME,
    S_ALERT_PART,
    S_FULL_ID,
    S_LAST_PROCESSED,
    S_THREAT_CATEGORY,
    S_THREAT_FAMILY,
    S_THREAT_NAME,
    S_REMED_ACTION,
    S_REMED_SUCCESS,
    S_SOURCE,
    S_MD5,
    S_SHA256,
    S_WAS_EXECUTING,
    S_USER_DOMAIN,
    S_LOGON_USERS,
    S_MACHINE_DOMAIN,
    S_MACHINE_NAME,
    S_IPV4_LIST,
    S_IPV6_LIST,
    S_FILE_HASH,
    S_DEVICE_ID,
    S_MACHINE_GROUP,
    S_DESCRIPTION,
    S_DEVICE_TAGS,
    S_CLOUD_TAGS,
    S_COMMAND_LINE,
    S_INCIDENT_LINK_WDATP,
    S_REPORT_ID,
    S_LINK_MTP,
    S_INCIDENT_LINK_MTP,
    S_EXTERNAL_ID,
    S_IOC_UNIQUE_ID,
    /* Beyond the legacy record. */
    S_STATUS,
    S_CLASSIFICATION,
    S_DETERMINATION,
    S_SERVICE_SOURCE,
    S_INCIDENT_ID,
    S_LAST_UPDATE,
    S_FIRST_ACTIVITY,
    S_RESOLVED,
    S_TENANT_ID,
    S_ASSIGNED_TO,
    S_RECEIVED,
    S_TECHNIQUES,
    S_PROCESS_NAME,
    S_PROCESS_ID,
    S_PARENT_NAME,
    S_PARENT_PID,
    S_PARENT_CMD,
    S_USER_SID,
    S_USER_UPN,
    S_FILE_SIZE,
    S_FILE_FULLPATH,
    S_FILE_DIRECTORY,
    S_LOCAL_IP,
    S_LOCAL_PORT,
    S_REMOTE_IP,
    S_REMOTE_PORT,
    S_PROTOCOL,
    S_ACTION_TYPE,
    S_EVIDENCE_TYPE,
    S_EVIDENCE_INDEX,
    S_EVIDENCE_ROLE,
    S_VERDICT,
    S_DETECTION_STATUS,
    S_OS_PLATFORM,
    S_TABLE,
    S_COUNT
};

#define MDS_LEGACY_FIELDS 50

enum mds_fv_type {
    FV_ABSENT = 0, /* no such member */
    FV_NULL,       /* JSON null */
    FV_STR,        /* text (decoded) */
    FV_NUM,        /* JSON number, text as written */
    FV_TRUE,
    FV_FALSE,
    FV_RAW /* JSON array or object: bytes are its raw text, tok its token */
};

/* One slot's value. Bytes live at `p` when non-NULL (the input document,
 * or a static string), else at arena.data + off (the arena may move while
 * a view is being built, so offsets, not pointers). */
struct mds_fv {
    const char *p;
    size_t off;
    size_t len;
    int tok; /* token in the view's document, -1 for computed values */
    unsigned char type;
};

enum mds_ev_type { EV_OTHER = 0, EV_DEVICE, EV_FILE, EV_PROCESS, EV_IP, EV_URL, EV_USER };

struct mds_evidence {
    int tok; /* the evidence object */
    int pos; /* its position in the evidence array */
    enum mds_ev_type type;
    int score;        /* relevance, see mds_view_build() */
    const char *name; /* type name for events: "fileEvidence", "File"... */
    size_t name_len;
};

/* Ceilings: more evidence items than this in one alert is an error. */
#define MDS_VIEW_MAX_EVIDENCE 65536

struct mds_stream_table; /* view.c: one row per Advanced Hunting table */

struct mds_view {
    const struct mds_json *j;
    int root;
    enum mds_input_kind kind;
    int is_alert;                         /* an alert (any API, or AlertInfo/AlertEvidence rows) */
    const struct mds_stream_table *table; /* stream records only */
    const char *ecs_category;             /* ECS event.category value, or NULL */
    struct mds_fv f[S_COUNT];             /* the slots of the event being rendered */
    struct mds_fv base[S_COUNT];          /* alert-level slots before evidence */
    struct mds_buf arena;
    struct mds_evidence *ev;
    int nev, evcap;
    int evidence_tok;          /* the evidence array, -1 if none */
    int child;                 /* evidence index of a child event, -1 for the summary */
    struct mds_fv child_class; /* "evidence:<type>" of a child event */
};

struct mds_view *mds_view_create(void);
void mds_view_destroy(struct mds_view *v);

/* Builds the summary view of the object at token `root` of j (the JSON
 * document must outlive the view's use). For alerts with evidence, the
 * file/process fields come from the most relevant file or process
 * evidence, host fields from the first device evidence, IpAddress, Url and
 * UserName/UserDomain from the first ip/url/user evidence. MDS_ERR_PARSE
 * (message in errstr) when root is not an object; MDS_ERR_LIMIT past
 * MDS_VIEW_MAX_EVIDENCE. */
mds_err mds_view_build(struct mds_view *v, const struct mds_json *j, int root, enum mds_input_kind kind,
                       char *errstr, size_t errlen);

/* Re-derives the slots with evidence `i` as the file/process evidence of
 * the detection (legacy split: one detection per file/process evidence).
 * Process-only fields (command line, pid) then come only from `i`. */
mds_err mds_view_select_main(struct mds_view *v, int i);

/* Replaces the slots by a child event for evidence `i`: the alert's
 * identity (time, id, title, severity, category, detector, link) plus
 * that one evidence's fields, S_EVIDENCE_TYPE and S_EVIDENCE_INDEX. */
mds_err mds_view_select_child(struct mds_view *v, int i);

/* Nonzero when evidence i supplies file fields (file or process). */
int mds_view_ev_is_main(const struct mds_view *v, int i);

/* The bytes of a slot (any type but ABSENT/NULL); *n = 0 and NULL when
 * absent or null. */
const char *mds_view_bytes(const struct mds_view *v, enum mds_slot s, size_t *n);

/* Nonzero when the slot holds a non-empty string, number, boolean or raw. */
int mds_view_has(const struct mds_view *v, enum mds_slot s);

/* Canonical slot names: the legacy spelling (S1) for the first 50,
 * PascalCase for the rest. Used as LEEF custom keys and in docs. */
const char *mds_view_slot_name(enum mds_slot s);

/* Severity bucket of the S_SEVERITY slot. */
enum mds_severity { MDS_SEV_UNKNOWN = 0, MDS_SEV_INFORMATIONAL, MDS_SEV_LOW, MDS_SEV_MEDIUM, MDS_SEV_HIGH };
enum mds_severity mds_view_severity(const struct mds_view *v);

/* Epoch milliseconds / ticks of a time slot; MDS_ERR_PARSE when the slot
 * is absent or not an ISO 8601 timestamp. */
mds_err mds_view_ticks(const struct mds_view *v, enum mds_slot s, mds_ticks *out);

/* Event class (CEF Device Event Class ID): the detector id for alerts,
 * else the category, else "alert"; the table name for stream records;
 * "evidence:<type>" for child events. Name: title, else action type,
 * else the class. Bytes valid as mds_view_bytes(). */
const char *mds_view_event_class(const struct mds_view *v, size_t *n);
const char *mds_view_event_name(const struct mds_view *v, size_t *n);

/* Nonzero when the slot's text is an integer (optionally negative). */
int mds_view_is_int(const struct mds_view *v, enum mds_slot s);

/* Appends the record (or, in a child view, the evidence object) as
 * compact JSON with every string re-escaped: valid UTF-8, no raw control
 * characters, no newline. */
mds_err mds_view_original(const struct mds_view *v, int child_only, struct mds_buf *out);

/* Appends token `t` of j (any subtree) as compact, valid JSON. */
mds_err mds_json_write_compact(const struct mds_json *j, int t, struct mds_buf *out);

/* Appends a slot as a JSON value: strings quoted and escaped, numbers,
 * booleans and raw arrays/objects as compact JSON, null as null. */
mds_err mds_view_write_json(const struct mds_view *v, enum mds_slot s, struct mds_buf *out);

/* Fast sibling skip: the token after the subtree rooted at i (galloping
 * search on start offsets, which jsmn emits in document order). Scalars,
 * the common case, are handled inline. */
int mds_json_next_slow(const struct mds_json *j, int i);

static inline int mds_json_next(const struct mds_json *j, int i)
{
    const jsmntok_t *t = &j->tok[i];
    if (t->size == 0 && (t->type == JSMN_STRING || t->type == JSMN_PRIMITIVE))
        return i + 1;
    return mds_json_next_slow(j, i);
}

#endif
