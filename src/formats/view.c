/*
 * view.c - filling the shared slot view from each Defender API shape.
 *
 * The mappings are descriptor tables (keymap): a JSON member name and the
 * slot(s) it fills. Seed 002 (SIEM API -> Graph alerts_v2) is the
 * authority for the Graph alert table and the evidence tables; the MDE
 * alert, legacy detection and Streaming API tables follow spec 2.4, 1.6
 * and 4.4. Each object is walked once; members that are not in the table
 * are skipped in O(log n) (mds_json_next).
 */
#include "formats/view.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "formats/escape.h"

#define ARENA_MAX ((size_t)512 * 1024 * 1024)

static const char *const slot_names[S_COUNT] = {
    "AlertTime",
    "ComputerDnsName",
    "AlertTitle",
    "Category",
    "Severity",
    "AlertId",
    "Actor",
    "LinkToWDATP",
    "IocName",
    "IocValue",
    "CreatorIocName",
    "CreatorIocValue",
    "Sha1",
    "FileName",
    "FilePath",
    "IpAddress",
    "Url",
    "IoaDefinitionId",
    "UserName",
    "AlertPart",
    "FullId",
    "LastProcessedTimeUtc",
    "ThreatCategory",
    "ThreatFamily",
    "ThreatName",
    "RemediationAction",
    "RemediationIsSuccess",
    "Source",
    "Md5",
    "Sha256",
    "WasExecutingWhileDetected",
    "UserDomain",
    "LogOnUsers",
    "MachineDomain",
    "MachineName",
    "InternalIPv4List",
    "InternalIPv6List",
    "FileHash",
    "DeviceID",
    "MachineGroup",
    "Description",
    "DeviceCreatedMachineTags",
    "CloudCreatedMachineTags",
    "CommandLine",
    "IncidentLinkToWDATP",
    "ReportID",
    "LinkToMTP",
    "IncidentLinkToMTP",
    "ExternalId",
    "IocUniqueId",
    "Status",
    "Classification",
    "Determination",
    "ServiceSource",
    "IncidentId",
    "LastUpdateTime",
    "FirstActivityTime",
    "ResolvedTime",
    "TenantId",
    "AssignedTo",
    "ReceivedTime",
    "MitreTechniques",
    "ProcessName",
    "ProcessId",
    "ParentProcessName",
    "ParentProcessId",
    "ParentProcessCommandLine",
    "UserSid",
    "UserPrincipalName",
    "FileSize",
    "FileFullPath",
    "FileDirectory",
    "LocalIp",
    "LocalPort",
    "RemoteIp",
    "RemotePort",
    "Protocol",
    "ActionType",
    "EvidenceType",
    "EvidenceIndex",
    "EvidenceRole",
    "Verdict",
    "DetectionStatus",
    "OsPlatform",
    "Table",
};

const char *mds_view_slot_name(enum mds_slot s)
{
    return (unsigned)s < S_COUNT ? slot_names[s] : "?";
}

/* ---- tokens ------------------------------------------------------------ */

int mds_json_next_slow(const struct mds_json *j, int i)
{
    const jsmntok_t *t = &j->tok[i];
    if ((t->type == JSMN_STRING || t->type == JSMN_PRIMITIVE) && t->size == 0)
        return i + 1;
    /* gallop forward from i (subtrees are small, the token array of a page
     * is not: stay near i in memory), then binary search the last step */
    int lo = i + 1, step = 8, hi = lo;
    while (hi < j->ntok && j->tok[hi].start < t->end) {
        lo = hi + 1;
        hi = hi + step < j->ntok ? hi + step : j->ntok;
        step *= 2;
    }
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (j->tok[mid].start < t->end)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int is_object(const struct mds_json *j, int t)
{
    return t >= 0 && t < j->ntok && j->tok[t].type == JSMN_OBJECT;
}

static int is_array(const struct mds_json *j, int t)
{
    return t >= 0 && t < j->ntok && j->tok[t].type == JSMN_ARRAY;
}

/* Value token of member `key` of object `obj`, or -1: mds_json_find()
 * with the galloping skip (members holding big subtrees are passed over
 * without walking them). */
static int vfind(const struct mds_json *j, int obj, const char *key)
{
    if (obj < 0 || obj >= j->ntok || j->tok[obj].type != JSMN_OBJECT)
        return -1;
    size_t n = strlen(key);
    int k = obj + 1;
    for (int i = 0; i < j->tok[obj].size && k + 1 < j->ntok; i++) {
        const jsmntok_t *t = &j->tok[k];
        if ((size_t)(t->end - t->start) == n && j->js[t->start] == key[0] &&
            memcmp(j->js + t->start, key, n) == 0)
            return k + 1;
        k = mds_json_next(j, k + 1);
    }
    return -1;
}

/* Iterates the members of object `obj`: k is the key token, k + 1 the value. */
#define EACH_MEMBER(j, obj, k, n)                                                                            \
    for (int n = 0, k = (obj) + 1; n < (j)->tok[obj].size; n++, k = mds_json_next((j), k + 1))

/* Iterates the elements of array `arr`: e is the element token. */
#define EACH_ELEMENT(j, arr, e, n)                                                                           \
    for (int n = 0, e = (arr) + 1; n < (j)->tok[arr].size; n++, e = mds_json_next((j), e))

/* ---- slot setters ------------------------------------------------------ */

static const char *fv_bytes(const struct mds_view *v, const struct mds_fv *f)
{
    if (f->p)
        return f->p;
    return f->len ? v->arena.data + f->off : "";
}

static int fv_nonempty(const struct mds_fv *f)
{
    return f->type != FV_ABSENT && f->type != FV_NULL && (f->type != FV_STR || f->len > 0);
}

static mds_err set_tok(struct mds_view *v, enum mds_slot s, int t)
{
    const jsmntok_t *k = &v->j->tok[t];
    struct mds_fv *f = &v->f[s];
    const char *p = v->j->js + k->start;
    size_t n = (size_t)(k->end - k->start);
    memset(f, 0, sizeof *f);
    f->tok = t;
    f->p = p;
    f->len = n;
    if (k->type == JSMN_STRING) {
        f->type = FV_STR;
        if (!memchr(p, '\\', n))
            return MDS_OK;
        f->p = NULL;
        f->off = v->arena.len;
        mds_err err = mds_json_decode(v->j, t, &v->arena);
        f->len = v->arena.len - f->off;
        return err;
    }
    if (k->type != JSMN_PRIMITIVE)
        f->type = FV_RAW;
    else if (*p == 'n')
        f->type = FV_NULL;
    else if (*p == 't')
        f->type = FV_TRUE;
    else if (*p == 'f')
        f->type = FV_FALSE;
    else
        f->type = FV_NUM;
    return MDS_OK;
}

static void set_static(struct mds_view *v, enum mds_slot s, enum mds_fv_type type, const char *text)
{
    struct mds_fv *f = &v->f[s];
    f->p = text;
    f->off = 0;
    f->len = strlen(text);
    f->tok = -1;
    f->type = (unsigned char)type;
}

/* Starts a computed string in the arena; finish with arena_end(). */
static size_t arena_begin(struct mds_view *v)
{
    return v->arena.len;
}

static void arena_end(struct mds_view *v, enum mds_slot s, size_t start, enum mds_fv_type type)
{
    struct mds_fv *f = &v->f[s];
    f->p = NULL;
    f->off = start;
    f->len = v->arena.len - start;
    f->tok = -1;
    f->type = (unsigned char)type;
}

/* Appends the bytes of slot s to the arena (copy by offset: safe when the
 * source itself lives in the arena and the append moves it). */
static mds_err arena_put_slot(struct mds_view *v, enum mds_slot s)
{
    const struct mds_fv *f = &v->f[s];
    if (f->p)
        return mds_buf_append(&v->arena, f->p, f->len);
    mds_err err = mds_buf_reserve(&v->arena, f->len);
    if (!err)
        err = mds_buf_append(&v->arena, v->arena.data + f->off, f->len);
    return err;
}

/* ---- key maps ---------------------------------------------------------- */

/* Evidence-type masks for flat (MDE) evidence members. */
#define M_FILE (1u << EV_FILE)
#define M_PROC (1u << EV_PROCESS)
#define M_USER (1u << EV_USER)
#define M_IP (1u << EV_IP)
#define M_URL (1u << EV_URL)
#define M_FP (M_FILE | M_PROC)

/* Stream-table modes for Advanced Hunting columns. */
enum { T_ALL = 0, T_ALERT, T_EVENT, T_PROC, T_NONPROC, T_LOGON, T_NET };

struct keymap {
    const char *key;
    unsigned char len;
    unsigned char mask; /* evidence types (flat evidence) or stream table mode */
    short slot;
    short slot2; /* a second slot fed by the same member, or -1 */
};

#define K(s) s, (unsigned char)(sizeof(s) - 1)

static const struct keymap *km_find(const struct keymap *m, const char *s, size_t n, int ci)
{
    for (; m->key; m++) {
        if (m->len != n)
            continue;
        if (ci ? strncasecmp(m->key, s, n) == 0 : (m->key[0] == s[0] && memcmp(m->key, s, n) == 0))
            return m;
    }
    return NULL;
}

static const struct keymap *km_member(const struct mds_view *v, const struct keymap *m, int key, int ci)
{
    const jsmntok_t *t = &v->j->tok[key];
    return km_find(m, v->j->js + t->start, (size_t)(t->end - t->start), ci);
}

/* A hash index over a big keymap (bucket by length and first/last byte,
 * case-folded so case-insensitive maps work too), built once at start-up.
 * Chains keep table order: entries sharing a key are tried in order. */
#define KM_BUCKETS 64
#define KM_MAX 128
#define KM_END 0xFF

struct km_index {
    const struct keymap *map;
    unsigned char head[KM_BUCKETS];
    unsigned char next[KM_MAX];
};

static unsigned km_hash(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    return ((unsigned)n * 13u + (unsigned char)(s[0] | 0x20) * 7u + (unsigned char)(s[n - 1] | 0x20)) &
           (KM_BUCKETS - 1);
}

static void km_index_build(struct km_index *x)
{
    int n = 0;
    while (x->map[n].key)
        n++;
    memset(x->head, KM_END, sizeof x->head);
    for (int i = n - 1; i >= 0; i--) { /* push front in reverse: chains in table order */
        unsigned h = km_hash(x->map[i].key, x->map[i].len);
        x->next[i] = x->head[h];
        x->head[h] = (unsigned char)i;
    }
}

/* First entry of chain for s[0..n) at or after `from` (an entry index, or
 * KM_END to start), matching the key; NULL when none. */
static const struct keymap *km_lookup(const struct km_index *x, const char *s, size_t n, int ci,
                                      const struct keymap *from)
{
    unsigned i = from ? x->next[from - x->map] : x->head[km_hash(s, n)];
    for (; i != KM_END; i = x->next[i]) {
        const struct keymap *m = &x->map[i];
        if (m->len == n &&
            (ci ? strncasecmp(m->key, s, n) == 0 : (m->key[0] == s[0] && memcmp(m->key, s, n) == 0)))
            return m;
    }
    return NULL;
}

static const struct keymap *km_index_member(const struct mds_view *v, const struct km_index *x, int key,
                                            int ci)
{
    const jsmntok_t *t = &v->j->tok[key];
    return km_lookup(x, v->j->js + t->start, (size_t)(t->end - t->start), ci, NULL);
}

static mds_err km_set(struct mds_view *v, const struct keymap *m, int val)
{
    mds_err err = set_tok(v, (enum mds_slot)m->slot, val);
    if (!err && m->slot2 >= 0)
        v->f[m->slot2] = v->f[m->slot];
    return err;
}

/* Applies every member of `obj` found in m (mask 0 = any; else the entry's
 * mask must include bit `type`). */
static mds_err apply_map(struct mds_view *v, int obj, const struct keymap *m, unsigned type)
{
    const struct mds_json *j = v->j;
    if (!is_object(j, obj))
        return MDS_OK;
    mds_err err = MDS_OK;
    EACH_MEMBER(j, obj, k, n)
    {
        const struct keymap *e = km_member(v, m, k, 0);
        if (e && (!e->mask || (e->mask & (1u << type))) && !err)
            err = km_set(v, e, k + 1);
    }
    return err;
}

/* ---- Graph alerts_v2 (spec 3.5, seed 002) ------------------------------ */

static const struct keymap graph_alert_map[] = {
    {K("id"), 0, S_ALERT_ID, -1},
    {K("title"), 0, S_TITLE, -1},
    {K("category"), 0, S_CATEGORY, -1},
    {K("severity"), 0, S_SEVERITY, -1},
    {K("createdDateTime"), 0, S_ALERT_TIME, -1},
    {K("lastActivityDateTime"), 0, S_LAST_PROCESSED, -1},
    {K("actorDisplayName"), 0, S_ACTOR, -1},
    {K("alertWebUrl"), 0, S_LINK_WDATP, S_LINK_MTP},
    {K("incidentWebUrl"), 0, S_INCIDENT_LINK_WDATP, S_INCIDENT_LINK_MTP},
    {K("detectorId"), 0, S_IOA_ID, -1},
    {K("mitreTechniques"), 0, S_TECHNIQUES, -1},
    {K("threatFamilyName"), 0, S_THREAT_FAMILY, -1},
    {K("threatDisplayName"), 0, S_THREAT_NAME, -1},
    {K("detectionSource"), 0, S_SOURCE, -1},
    {K("description"), 0, S_DESCRIPTION, -1},
    {K("status"), 0, S_STATUS, -1},
    {K("classification"), 0, S_CLASSIFICATION, -1},
    {K("determination"), 0, S_DETERMINATION, -1},
    {K("serviceSource"), 0, S_SERVICE_SOURCE, -1},
    {K("incidentId"), 0, S_INCIDENT_ID, -1},
    {K("lastUpdateDateTime"), 0, S_LAST_UPDATE, -1},
    {K("firstActivityDateTime"), 0, S_FIRST_ACTIVITY, -1},
    {K("resolvedDateTime"), 0, S_RESOLVED, -1},
    {K("tenantId"), 0, S_TENANT_ID, -1},
    {K("assignedTo"), 0, S_ASSIGNED_TO, -1},
    {NULL, 0, 0, 0, 0},
};

static const struct keymap graph_file_details_map[] = {
    {K("fileName"), 0, S_FILE_NAME, -1},
    {K("filePath"), 0, S_FILE_PATH, -1},
    {K("sha1"), 0, S_SHA1, -1},
    {K("sha256"), 0, S_SHA256, -1},
    {K("md5"), 0, S_MD5, -1},
    {K("fileSize"), 0, S_FILE_SIZE, -1},
    {NULL, 0, 0, 0, 0},
};

/* Members of file and process evidence that describe the detection. */
static const struct keymap graph_detection_map[] = {
    {K("detectionStatus"), 0, S_DETECTION_STATUS, -1},
    {K("remediationStatus"), 0, S_REMED_ACTION, -1},
    {K("verdict"), 0, S_VERDICT, -1},
    {NULL, 0, 0, 0, 0},
};

static const struct keymap graph_process_map[] = {
    {K("processCommandLine"), 0, S_COMMAND_LINE, -1},
    {K("processId"), 0, S_PROCESS_ID, -1},
    {K("parentProcessId"), 0, S_PARENT_PID, -1},
    {NULL, 0, 0, 0, 0},
};

static const struct keymap graph_device_map[] = {
    {K("deviceDnsName"), 0, S_COMPUTER_DNS, -1},
    {K("mdeDeviceId"), 0, S_DEVICE_ID, -1},
    {K("rbacGroupName"), 0, S_MACHINE_GROUP, -1},
    {K("osPlatform"), 0, S_OS_PLATFORM, -1},
    {NULL, 0, 0, 0, 0},
};

static const struct keymap graph_user_account_map[] = {
    {K("accountName"), 0, S_USER_NAME, -1},
    {K("domainName"), 0, S_USER_DOMAIN, -1},
    {K("userSid"), 0, S_USER_SID, -1},
    {K("userPrincipalName"), 0, S_USER_UPN, -1},
    {NULL, 0, 0, 0, 0},
};

static const struct {
    const char *name;
    enum mds_ev_type type;
} graph_ev_types[] = {
    {"deviceEvidence", EV_DEVICE}, {"fileEvidence", EV_FILE}, {"processEvidence", EV_PROCESS},
    {"ipEvidence", EV_IP},         {"urlEvidence", EV_URL},   {"userEvidence", EV_USER},
};

#define GRAPH_TYPE_PREFIX "#microsoft.graph.security."

/* ---- MDE API alerts (spec 2.4, flat evidence) -------------------------- */

static const struct keymap mde_alert_map[] = {
    {K("id"), 0, S_ALERT_ID, -1},
    {K("title"), 0, S_TITLE, -1},
    {K("description"), 0, S_DESCRIPTION, -1},
    {K("severity"), 0, S_SEVERITY, -1},
    {K("category"), 0, S_CATEGORY, -1},
    {K("alertCreationTime"), 0, S_ALERT_TIME, -1},
    {K("lastEventTime"), 0, S_LAST_PROCESSED, -1},
    {K("firstEventTime"), 0, S_FIRST_ACTIVITY, -1},
    {K("lastUpdateTime"), 0, S_LAST_UPDATE, -1},
    {K("resolvedTime"), 0, S_RESOLVED, -1},
    {K("detectionSource"), 0, S_SOURCE, -1},
    {K("detectorId"), 0, S_IOA_ID, -1},
    {K("threatFamilyName"), 0, S_THREAT_FAMILY, -1},
    {K("threatName"), 0, S_THREAT_NAME, -1},
    {K("mitreTechniques"), 0, S_TECHNIQUES, -1},
    {K("computerDnsName"), 0, S_COMPUTER_DNS, -1},
    {K("machineId"), 0, S_DEVICE_ID, -1},
    {K("rbacGroupName"), 0, S_MACHINE_GROUP, -1},
    {K("aadTenantId"), 0, S_TENANT_ID, -1},
    {K("incidentId"), 0, S_INCIDENT_ID, -1},
    {K("status"), 0, S_STATUS, -1},
    {K("classification"), 0, S_CLASSIFICATION, -1},
    {K("determination"), 0, S_DETERMINATION, -1},
    {K("assignedTo"), 0, S_ASSIGNED_TO, -1},
    {NULL, 0, 0, 0, 0},
};

static const struct keymap mde_related_user_map[] = {
    {K("userName"), 0, S_USER_NAME, -1},
    {K("domainName"), 0, S_USER_DOMAIN, -1},
    {NULL, 0, 0, 0, 0},
};

/* Flat evidence: every key is present on every item (null when unused),
 * so each entry says which entity types it belongs to. */
static const struct keymap mde_evidence_map[] = {
    {K("sha1"), M_FP, S_SHA1, -1},
    {K("sha256"), M_FP, S_SHA256, -1},
    {K("fileName"), M_FP, S_FILE_NAME, -1},
    {K("filePath"), M_FP, S_FILE_PATH, -1},
    {K("detectionStatus"), M_FP, S_DETECTION_STATUS, -1},
    {K("processId"), M_PROC, S_PROCESS_ID, -1},
    {K("processCommandLine"), M_PROC, S_COMMAND_LINE, -1},
    {K("parentProcessId"), M_PROC, S_PARENT_PID, -1},
    {K("parentProcessFileName"), M_PROC, S_PARENT_NAME, -1},
    {K("ipAddress"), M_IP, S_IP, -1},
    {K("url"), M_URL, S_URL, -1},
    {K("accountName"), M_USER, S_USER_NAME, -1},
    {K("domainName"), M_USER, S_USER_DOMAIN, -1},
    {K("userSid"), M_USER, S_USER_SID, -1},
    {K("userPrincipalName"), M_USER, S_USER_UPN, -1},
    {NULL, 0, 0, 0, 0},
};

static const struct {
    const char *name;
    enum mds_ev_type type;
} mde_ev_types[] = {
    {"File", EV_FILE},    {"Process", EV_PROCESS}, {"User", EV_USER},      {"Ip", EV_IP},
    {"IpAddress", EV_IP}, {"Url", EV_URL},         {"Machine", EV_DEVICE}, {"Device", EV_DEVICE},
};

/* ---- legacy SIEM detections (spec 1.5/1.6), matched case-insensitively - */

static const struct keymap siem_map[] = {
    {K("AlertTime"), 0, S_ALERT_TIME, -1},
    {K("ComputerDnsName"), 0, S_COMPUTER_DNS, -1},
    {K("AlertTitle"), 0, S_TITLE, -1},
    {K("Category"), 0, S_CATEGORY, -1},
    {K("Severity"), 0, S_SEVERITY, -1},
    {K("AlertId"), 0, S_ALERT_ID, -1},
    {K("Actor"), 0, S_ACTOR, -1},
    {K("LinkToWDATP"), 0, S_LINK_WDATP, -1},
    {K("IocName"), 0, S_IOC_NAME, -1},
    {K("IocValue"), 0, S_IOC_VALUE, -1},
    {K("CreatorIocName"), 0, S_CREATOR_IOC_NAME, -1},
    {K("CreatorIocValue"), 0, S_CREATOR_IOC_VALUE, -1},
    {K("Sha1"), 0, S_SHA1, -1},
    {K("FileName"), 0, S_FILE_NAME, -1},
    {K("FilePath"), 0, S_FILE_PATH, -1},
    {K("IpAddress"), 0, S_IP, -1},
    {K("Url"), 0, S_URL, -1},
    {K("IoaDefinitionId"), 0, S_IOA_ID, -1},
    {K("UserName"), 0, S_USER_NAME, -1},
    {K("AlertPart"), 0, S_ALERT_PART, -1},
    {K("FullId"), 0, S_FULL_ID, -1},
    {K("LastProcessedTimeUtc"), 0, S_LAST_PROCESSED, -1},
    {K("ThreatCategory"), 0, S_THREAT_CATEGORY, -1},
    {K("ThreatFamily"), 0, S_THREAT_FAMILY, -1},
    {K("ThreatName"), 0, S_THREAT_NAME, -1},
    {K("RemediationAction"), 0, S_REMED_ACTION, -1},
    {K("RemediationIsSuccess"), 0, S_REMED_SUCCESS, -1},
    {K("Source"), 0, S_SOURCE, -1},
    {K("Md5"), 0, S_MD5, -1},
    {K("Sha256"), 0, S_SHA256, -1},
    {K("WasExecutingWhileDetected"), 0, S_WAS_EXECUTING, -1},
    {K("UserDomain"), 0, S_USER_DOMAIN, -1},
    {K("LogOnUsers"), 0, S_LOGON_USERS, -1},
    {K("MachineDomain"), 0, S_MACHINE_DOMAIN, -1},
    {K("MachineName"), 0, S_MACHINE_NAME, -1},
    {K("InternalIPv4List"), 0, S_IPV4_LIST, -1},
    {K("InternalIPv6List"), 0, S_IPV6_LIST, -1},
    {K("FileHash"), 0, S_FILE_HASH, -1},
    {K("DeviceID"), 0, S_DEVICE_ID, -1},
    {K("MachineGroup"), 0, S_MACHINE_GROUP, -1},
    {K("Description"), 0, S_DESCRIPTION, -1},
    {K("DeviceCreatedMachineTags"), 0, S_DEVICE_TAGS, -1},
    {K("CloudCreatedMachineTags"), 0, S_CLOUD_TAGS, -1},
    {K("CommandLine"), 0, S_COMMAND_LINE, -1},
    {K("IncidentLinkToWDATP"), 0, S_INCIDENT_LINK_WDATP, -1},
    {K("ReportID"), 0, S_REPORT_ID, -1},
    {K("LinkToMTP"), 0, S_LINK_MTP, -1},
    {K("IncidentLinkToMTP"), 0, S_INCIDENT_LINK_MTP, -1},
    {K("ExternalId"), 0, S_EXTERNAL_ID, -1},
    {K("IocUniqueId"), 0, S_IOC_UNIQUE_ID, -1},
    {NULL, 0, 0, 0, 0},
};

/* The migration table (S9) spellings that differ beyond case. They fill a
 * slot only when the S1 spelling is absent. */
static const struct keymap siem_alias_map[] = {
    {K("ThreatFamilyName"), 0, S_THREAT_FAMILY, -1},
    {NULL, 0, 0, 0, 0},
};

/* ---- Streaming API (spec 4.2-4.4) -------------------------------------- */

struct mds_stream_table {
    const char *name;         /* NULL: any other table (generic mapping) */
    const char *ecs_category; /* ECS event.category, or NULL */
    unsigned char alert;      /* rows are alerts or alert evidence */
    unsigned char proc;       /* rows describe a created process */
    unsigned char logon;      /* the remote side started it (source), Protocol is an auth protocol */
    unsigned char net;        /* Protocol is the transport */
};

static const struct mds_stream_table stream_tables[] = {
    {"AlertInfo", "intrusion_detection", 1, 0, 0, 0}, {"AlertEvidence", "intrusion_detection", 1, 0, 0, 0},
    {"DeviceProcessEvents", "process", 0, 1, 0, 0},   {"DeviceNetworkEvents", "network", 0, 0, 0, 1},
    {"DeviceFileEvents", "file", 0, 0, 0, 0},         {"DeviceLogonEvents", "authentication", 0, 0, 1, 0},
    {"DeviceRegistryEvents", "registry", 0, 0, 0, 0}, {NULL, NULL, 0, 0, 0, 0},
};

static const struct keymap stream_record_map[] = {
    {K("time"), 0, S_RECEIVED, -1},
    {K("tenantId"), 0, S_TENANT_ID, -1},
    {NULL, 0, 0, 0, 0},
};

/* Column -> slot. mask: T_ALL any table, T_ALERT alert tables only,
 * T_EVENT non-alert tables except logons, T_LOGON DeviceLogonEvents (the
 * remote address is where the logon came from: the source), T_NET
 * DeviceNetworkEvents, T_PROC DeviceProcessEvents, T_NONPROC non-alert
 * tables other than DeviceProcessEvents (there the initiating process is
 * the actor, so it fills the process slots). */
static const struct keymap stream_column_map[] = {
    {K("Timestamp"), T_ALL, S_ALERT_TIME, -1},
    {K("AlertId"), T_ALL, S_ALERT_ID, -1},
    {K("Title"), T_ALL, S_TITLE, -1},
    {K("Category"), T_ALL, S_CATEGORY, -1},
    {K("Severity"), T_ALL, S_SEVERITY, -1},
    {K("DetectionSource"), T_ALL, S_SOURCE, -1},
    {K("ServiceSource"), T_ALL, S_SERVICE_SOURCE, -1},
    {K("AttackTechniques"), T_ALL, S_THREAT_CATEGORY, -1},
    {K("EntityType"), T_ALL, S_EVIDENCE_TYPE, -1},
    {K("EvidenceRole"), T_ALL, S_EVIDENCE_ROLE, -1},
    {K("ThreatFamily"), T_ALL, S_THREAT_FAMILY, -1},
    {K("FileName"), T_PROC, S_FILE_NAME, S_PROCESS_NAME},
    {K("FileName"), T_ALL, S_FILE_NAME, -1},
    {K("FolderPath"), T_ALL, S_FILE_PATH, -1},
    {K("SHA1"), T_ALL, S_SHA1, -1},
    {K("SHA256"), T_ALL, S_SHA256, -1},
    {K("MD5"), T_ALL, S_MD5, -1},
    {K("FileSize"), T_ALL, S_FILE_SIZE, -1},
    {K("RemoteIP"), T_ALERT, S_IP, -1},
    {K("RemoteIP"), T_LOGON, S_IP, -1},
    {K("RemoteIP"), T_EVENT, S_REMOTE_IP, -1},
    {K("LocalIP"), T_EVENT, S_LOCAL_IP, -1},
    {K("RemotePort"), T_LOGON, S_LOCAL_PORT, -1},
    {K("RemotePort"), T_EVENT, S_REMOTE_PORT, -1},
    {K("LocalPort"), T_EVENT, S_LOCAL_PORT, -1},
    {K("Protocol"), T_NET, S_PROTOCOL, -1},
    {K("RemoteUrl"), T_ALL, S_URL, -1},
    {K("AccountName"), T_ALL, S_USER_NAME, -1},
    {K("AccountDomain"), T_ALL, S_USER_DOMAIN, -1},
    {K("AccountSid"), T_ALL, S_USER_SID, -1},
    {K("AccountUpn"), T_ALL, S_USER_UPN, -1},
    {K("DeviceId"), T_ALL, S_DEVICE_ID, -1},
    {K("DeviceName"), T_ALL, S_COMPUTER_DNS, -1},
    {K("ProcessCommandLine"), T_ALL, S_COMMAND_LINE, -1},
    {K("ProcessId"), T_ALL, S_PROCESS_ID, -1},
    {K("InitiatingProcessFileName"), T_PROC, S_PARENT_NAME, -1},
    {K("InitiatingProcessId"), T_PROC, S_PARENT_PID, -1},
    {K("InitiatingProcessCommandLine"), T_PROC, S_PARENT_CMD, -1},
    {K("InitiatingProcessFileName"), T_NONPROC, S_PROCESS_NAME, -1},
    {K("InitiatingProcessId"), T_NONPROC, S_PROCESS_ID, -1},
    {K("InitiatingProcessCommandLine"), T_NONPROC, S_COMMAND_LINE, -1},
    {K("ReportId"), T_ALL, S_REPORT_ID, -1},
    {K("MachineGroup"), T_ALL, S_MACHINE_GROUP, -1},
    {K("ActionType"), T_ALL, S_ACTION_TYPE, -1},
    {NULL, 0, 0, 0, 0},
};

#define STREAM_CATEGORY_PREFIX "AdvancedHunting-"

static struct km_index graph_alert_idx = {graph_alert_map, {0}, {0}};
static struct km_index mde_alert_idx = {mde_alert_map, {0}, {0}};
static struct km_index siem_idx = {siem_map, {0}, {0}};
static struct km_index stream_column_idx = {stream_column_map, {0}, {0}};

/* Runs before main(): the indexes are read-only afterwards (thread-safe). */
__attribute__((constructor)) static void build_indexes(void)
{
    km_index_build(&graph_alert_idx);
    km_index_build(&mde_alert_idx);
    km_index_build(&siem_idx);
    km_index_build(&stream_column_idx);
}

/* ---- lifecycle --------------------------------------------------------- */

struct mds_view *mds_view_create(void)
{
    struct mds_view *v = mds_calloc(1, sizeof *v);
    if (v)
        mds_buf_init(&v->arena, ARENA_MAX);
    return v;
}

void mds_view_destroy(struct mds_view *v)
{
    if (!v)
        return;
    mds_buf_finish(&v->arena);
    mds_free(v->ev);
    mds_free(v);
}

/* ---- evidence index ---------------------------------------------------- */

static mds_err ev_push(struct mds_view *v, int tok, char *errstr, size_t errlen)
{
    if (v->nev >= MDS_VIEW_MAX_EVIDENCE) {
        snprintf(errstr, errlen, "alert has more than %d evidence items", MDS_VIEW_MAX_EVIDENCE);
        return MDS_ERR_LIMIT;
    }
    if (v->nev == v->evcap) {
        int cap = v->evcap ? v->evcap * 2 : 16;
        struct mds_evidence *e = mds_realloc(v->ev, sizeof *e * (size_t)cap);
        if (!e)
            return MDS_ERR_NOMEM;
        v->ev = e;
        v->evcap = cap;
    }
    struct mds_evidence *e = &v->ev[v->nev++];
    memset(e, 0, sizeof *e);
    e->tok = tok;
    e->name = "unknown";
    e->name_len = 7;
    return MDS_OK;
}

static int str_ieq(const struct mds_view *v, int t, const char *s)
{
    if (t < 0 || v->j->tok[t].type != JSMN_STRING)
        return 0;
    size_t n = strlen(s);
    return (size_t)(v->j->tok[t].end - v->j->tok[t].start) == n &&
           strncasecmp(v->j->js + v->j->tok[t].start, s, n) == 0;
}

static int str_nonempty(const struct mds_view *v, int t)
{
    return t >= 0 && v->j->tok[t].type == JSMN_STRING && v->j->tok[t].end > v->j->tok[t].start;
}

/* Relevance of a file/process evidence: verdict malicious 4, suspicious 2;
 * a detection status 2; remediated, prevented or blocked 1. */
static int ev_score(const struct mds_view *v, int obj)
{
    const struct mds_json *j = v->j;
    int score = 0, verdict = vfind(j, obj, "verdict");
    if (str_ieq(v, verdict, "malicious"))
        score += 4;
    else if (str_ieq(v, verdict, "suspicious"))
        score += 2;
    if (str_nonempty(v, vfind(j, obj, "detectionStatus")))
        score += 2;
    int rem = vfind(j, obj, "remediationStatus");
    if (str_ieq(v, rem, "remediated") || str_ieq(v, rem, "prevented") || str_ieq(v, rem, "blocked"))
        score += 1;
    return score;
}

static void ev_type_graph(struct mds_view *v, struct mds_evidence *e)
{
    int t = vfind(v->j, e->tok, "@odata.type");
    if (t < 0 || v->j->tok[t].type != JSMN_STRING)
        return;
    const char *s = v->j->js + v->j->tok[t].start;
    size_t n = (size_t)(v->j->tok[t].end - v->j->tok[t].start);
    if (memchr(s, '\\', n))
        return; /* escaped type names are not real types; stays "unknown" */
    size_t plen = sizeof GRAPH_TYPE_PREFIX - 1;
    if (n > plen && memcmp(s, GRAPH_TYPE_PREFIX, plen) == 0) {
        s += plen;
        n -= plen;
    } else if (n > 1 && s[0] == '#') {
        s++;
        n--;
    }
    e->name = s;
    e->name_len = n;
    for (size_t i = 0; i < sizeof graph_ev_types / sizeof graph_ev_types[0]; i++)
        if (strlen(graph_ev_types[i].name) == n && memcmp(graph_ev_types[i].name, s, n) == 0)
            e->type = graph_ev_types[i].type;
}

static void ev_type_mde(struct mds_view *v, struct mds_evidence *e)
{
    int t = vfind(v->j, e->tok, "entityType");
    if (t < 0 || v->j->tok[t].type != JSMN_STRING)
        return;
    const char *s = v->j->js + v->j->tok[t].start;
    size_t n = (size_t)(v->j->tok[t].end - v->j->tok[t].start);
    if (n == 0 || memchr(s, '\\', n))
        return;
    e->name = s;
    e->name_len = n;
    for (size_t i = 0; i < sizeof mde_ev_types / sizeof mde_ev_types[0]; i++)
        if (strlen(mde_ev_types[i].name) == n && strncasecmp(mde_ev_types[i].name, s, n) == 0)
            e->type = mde_ev_types[i].type;
}

static mds_err index_evidence(struct mds_view *v, char *errstr, size_t errlen)
{
    const struct mds_json *j = v->j;
    if (!is_array(j, v->evidence_tok))
        return MDS_OK;
    mds_err err = MDS_OK;
    EACH_ELEMENT(j, v->evidence_tok, e, n)
    {
        if (err || !is_object(j, e))
            continue;
        err = ev_push(v, e, errstr, errlen);
        if (err)
            break;
        struct mds_evidence *ev = &v->ev[v->nev - 1];
        ev->pos = n;
        if (v->kind == MDS_INPUT_MDE)
            ev_type_mde(v, ev);
        else
            ev_type_graph(v, ev);
        if (ev->type == EV_FILE || ev->type == EV_PROCESS)
            ev->score = ev_score(v, e);
    }
    return err;
}

/* ---- builders ---------------------------------------------------------- */

static mds_err scan_top(struct mds_view *v, const struct km_index *x, int ci)
{
    const struct mds_json *j = v->j;
    mds_err err = MDS_OK;
    EACH_MEMBER(j, v->root, k, n)
    {
        if (err)
            break;
        const struct keymap *e = km_index_member(v, x, k, ci);
        if (e) {
            err = km_set(v, e, k + 1);
            continue;
        }
        if (mds_json_streq(j, k, "evidence"))
            v->evidence_tok = k + 1;
        else if (v->kind == MDS_INPUT_MDE && mds_json_streq(j, k, "relatedUser"))
            err = apply_map(v, k + 1, mde_related_user_map, 0);
        else if (v->kind == MDS_INPUT_SIEM && (e = km_member(v, siem_alias_map, k, 1)) &&
                 v->f[e->slot].type == FV_ABSENT)
            err = km_set(v, e, k + 1);
    }
    return err;
}

static const struct mds_stream_table *stream_table_find(const char *s, size_t n)
{
    const struct mds_stream_table *t = stream_tables;
    for (; t->name; t++)
        if (strlen(t->name) == n && memcmp(t->name, s, n) == 0)
            return t;
    return t;
}

static mds_err stream_category(struct mds_view *v, int t)
{
    mds_err err = set_tok(v, S_TABLE, t);
    struct mds_fv *f = &v->f[S_TABLE];
    size_t plen = sizeof STREAM_CATEGORY_PREFIX - 1;
    const char *s = fv_bytes(v, f);
    if (!err && f->type == FV_STR && f->len > plen && memcmp(s, STREAM_CATEGORY_PREFIX, plen) == 0) {
        if (f->p)
            f->p += plen;
        else
            f->off += plen;
        f->len -= plen;
    }
    if (!err && f->type == FV_STR)
        v->table = stream_table_find(fv_bytes(v, f), f->len);
    return err;
}

static int column_applies(const struct mds_view *v, unsigned mode)
{
    const struct mds_stream_table *t = v->table;
    switch (mode) {
    case T_ALERT:
        return t->alert;
    case T_EVENT:
        return !t->alert && !t->logon;
    case T_LOGON:
        return t->logon;
    case T_NET:
        return t->net;
    case T_PROC:
        return t->proc;
    case T_NONPROC:
        return !t->alert && !t->proc;
    default:
        return 1;
    }
}

static mds_err stream_columns(struct mds_view *v, int props)
{
    const struct mds_json *j = v->j;
    mds_err err = MDS_OK;
    EACH_MEMBER(j, props, k, n)
    {
        const jsmntok_t *t = &j->tok[k];
        const char *s = j->js + t->start;
        size_t len = (size_t)(t->end - t->start);
        const struct keymap *e = km_lookup(&stream_column_idx, s, len, 0, NULL);
        while (e && !column_applies(v, e->mask))
            e = km_lookup(&stream_column_idx, s, len, 0, e);
        if (e && !err)
            err = km_set(v, e, k + 1);
    }
    return err;
}

static mds_err build_stream(struct mds_view *v)
{
    const struct mds_json *j = v->j;
    static const struct mds_stream_table generic = {NULL, NULL, 0, 0, 0, 0};
    int props = -1;
    mds_err err = MDS_OK;
    v->table = &generic;
    EACH_MEMBER(j, v->root, k, n)
    {
        const struct keymap *e = km_member(v, stream_record_map, k, 0);
        if (e && !err)
            err = km_set(v, e, k + 1);
        else if (mds_json_streq(j, k, "category") && j->tok[k + 1].type == JSMN_STRING && !err)
            err = stream_category(v, k + 1);
        else if (mds_json_streq(j, k, "properties"))
            props = k + 1;
    }
    v->is_alert = v->table->alert;
    v->ecs_category = v->table->ecs_category;
    if (!err && is_object(j, props))
        err = stream_columns(v, props);
    return err;
}

/* ---- applying evidence ------------------------------------------------- */

/* LogOnUsers: "domain\user; domain\user" (spec 1.6 #33). */
static mds_err join_logged_on(struct mds_view *v, int arr)
{
    const struct mds_json *j = v->j;
    size_t start = arena_begin(v);
    mds_err err = MDS_OK;
    int any = 0;
    EACH_ELEMENT(j, arr, e, n)
    {
        int acc = vfind(j, e, "accountName"), dom = vfind(j, e, "domainName");
        if (err || !str_nonempty(v, acc))
            continue;
        if (any)
            err = mds_buf_puts(&v->arena, "; ");
        if (!err && str_nonempty(v, dom)) {
            err = mds_json_decode(j, dom, &v->arena);
            if (!err)
                err = mds_buf_putc(&v->arena, '\\');
        }
        if (!err)
            err = mds_json_decode(j, acc, &v->arena);
        any = 1;
    }
    arena_end(v, S_LOGON_USERS, start, FV_STR);
    return err;
}

/* Joins a JSON array of strings with sep into slot s. */
static mds_err join_strings(struct mds_view *v, int arr, const char *sep, enum mds_slot s)
{
    const struct mds_json *j = v->j;
    size_t start = arena_begin(v);
    mds_err err = MDS_OK;
    int any = 0;
    EACH_ELEMENT(j, arr, e, n)
    {
        if (err || j->tok[e].type != JSMN_STRING)
            continue;
        if (any)
            err = mds_buf_puts(&v->arena, sep);
        if (!err)
            err = mds_json_decode(j, e, &v->arena);
        any = 1;
    }
    arena_end(v, s, start, FV_STR);
    return err;
}

static mds_err apply_device(struct mds_view *v, int obj)
{
    mds_err err = apply_map(v, obj, graph_device_map, 0);
    int users = vfind(v->j, obj, "loggedOnUsers");
    int tags = vfind(v->j, obj, "tags");
    if (!err && is_array(v->j, users))
        err = join_logged_on(v, users);
    if (!err && is_array(v->j, tags)) {
        err = join_strings(v, tags, ", ", S_DEVICE_TAGS);
        v->f[S_CLOUD_TAGS] = v->f[S_DEVICE_TAGS];
    }
    return err;
}

static mds_err apply_user_account(struct mds_view *v, int obj)
{
    return apply_map(v, vfind(v->j, obj, "userAccount"), graph_user_account_map, 0);
}

/* File fields of a file or process evidence, and its detection state. */
static mds_err apply_main_graph(struct mds_view *v, const struct mds_evidence *e)
{
    const struct mds_json *j = v->j;
    int details = e->type == EV_FILE ? vfind(j, e->tok, "fileDetails") : vfind(j, e->tok, "imageFile");
    mds_err err = apply_map(v, details, graph_file_details_map, 0);
    if (!err)
        err = apply_map(v, e->tok, graph_detection_map, 0);
    int dev = vfind(j, e->tok, "mdeDeviceId");
    if (!err && !fv_nonempty(&v->f[S_DEVICE_ID]) && str_nonempty(v, dev))
        err = set_tok(v, S_DEVICE_ID, dev);
    return err;
}

/* WasExecutingWhileDetected from processEvidence.detectionStatus: detected
 * means it ran (true); blocked or prevented means it did not (false). */
static void set_was_executing(struct mds_view *v, int status)
{
    if (str_ieq(v, status, "detected"))
        set_static(v, S_WAS_EXECUTING, FV_TRUE, "true");
    else if (str_ieq(v, status, "blocked") || str_ieq(v, status, "prevented"))
        set_static(v, S_WAS_EXECUTING, FV_FALSE, "false");
}

/* Process-only fields: command line, pids, image and parent names. */
static mds_err apply_process_graph(struct mds_view *v, const struct mds_evidence *e)
{
    const struct mds_json *j = v->j;
    mds_err err = apply_map(v, e->tok, graph_process_map, 0);
    int image = vfind(j, e->tok, "imageFile");
    int name = is_object(j, image) ? vfind(j, image, "fileName") : -1;
    if (!err && name >= 0)
        err = set_tok(v, S_PROCESS_NAME, name);
    int parent = vfind(j, e->tok, "parentProcessImageFile");
    name = is_object(j, parent) ? vfind(j, parent, "fileName") : -1;
    if (!err && name >= 0)
        err = set_tok(v, S_PARENT_NAME, name);
    set_was_executing(v, vfind(j, e->tok, "detectionStatus"));
    return err;
}

static mds_err apply_main_mde(struct mds_view *v, const struct mds_evidence *e)
{
    mds_err err = apply_map(v, e->tok, mde_evidence_map, EV_FILE);
    if (!err && e->type == EV_PROCESS)
        err = apply_map(v, e->tok, mde_evidence_map, EV_PROCESS);
    return err;
}

static mds_err apply_process_mde(struct mds_view *v, const struct mds_evidence *e)
{
    static const struct keymap proc_only[] = {
        {K("processId"), 0, S_PROCESS_ID, -1},       {K("processCommandLine"), 0, S_COMMAND_LINE, -1},
        {K("parentProcessId"), 0, S_PARENT_PID, -1}, {K("parentProcessFileName"), 0, S_PARENT_NAME, -1},
        {K("fileName"), 0, S_PROCESS_NAME, -1},      {NULL, 0, 0, 0, 0},
    };
    mds_err err = apply_map(v, e->tok, proc_only, 0);
    set_was_executing(v, vfind(v->j, e->tok, "detectionStatus"));
    return err;
}

static mds_err apply_main(struct mds_view *v, const struct mds_evidence *e)
{
    return v->kind == MDS_INPUT_MDE ? apply_main_mde(v, e) : apply_main_graph(v, e);
}

static mds_err apply_process(struct mds_view *v, const struct mds_evidence *e)
{
    return v->kind == MDS_INPUT_MDE ? apply_process_mde(v, e) : apply_process_graph(v, e);
}

/* Device, ip, url or user evidence. */
static mds_err apply_context(struct mds_view *v, const struct mds_evidence *e)
{
    if (v->kind == MDS_INPUT_MDE)
        return apply_map(v, e->tok, mde_evidence_map, e->type);
    switch (e->type) {
    case EV_DEVICE:
        return apply_device(v, e->tok);
    case EV_IP:
        return apply_map(v, e->tok,
                         (const struct keymap[]){{K("ipAddress"), 0, S_IP, -1}, {NULL, 0, 0, 0, 0}}, 0);
    case EV_URL:
        return apply_map(v, e->tok, (const struct keymap[]){{K("url"), 0, S_URL, -1}, {NULL, 0, 0, 0, 0}}, 0);
    case EV_USER:
        return apply_user_account(v, e->tok);
    default:
        return MDS_OK;
    }
}

static int first_of(const struct mds_view *v, enum mds_ev_type type)
{
    for (int i = 0; i < v->nev; i++)
        if (v->ev[i].type == type)
            return i;
    return -1;
}

/* Highest score among file/process evidence (type -1) or one type; ties
 * go to the earliest item. */
static int best_of(const struct mds_view *v, int type)
{
    int best = -1;
    for (int i = 0; i < v->nev; i++) {
        const struct mds_evidence *e = &v->ev[i];
        int ok = type < 0 ? (e->type == EV_FILE || e->type == EV_PROCESS) : (int)e->type == type;
        if (ok && (best < 0 || e->score > v->ev[best].score))
            best = i;
    }
    return best;
}

int mds_view_ev_is_main(const struct mds_view *v, int i)
{
    return i >= 0 && i < v->nev && (v->ev[i].type == EV_FILE || v->ev[i].type == EV_PROCESS);
}

static mds_err apply_contexts(struct mds_view *v)
{
    static const enum mds_ev_type order[] = {EV_DEVICE, EV_IP, EV_URL, EV_USER};
    mds_err err = MDS_OK;
    for (size_t k = 0; k < sizeof order / sizeof order[0] && !err; k++) {
        int i = first_of(v, order[k]);
        if (i >= 0)
            err = apply_context(v, &v->ev[i]);
    }
    return err;
}

/* ---- derived values ---------------------------------------------------- */

static void split_dns_name(struct mds_view *v)
{
    const struct mds_fv *dns = &v->f[S_COMPUTER_DNS];
    if (dns->type != FV_STR || dns->len == 0 || fv_nonempty(&v->f[S_MACHINE_NAME]))
        return;
    const char *s = fv_bytes(v, dns);
    const char *dot = memchr(s, '.', dns->len);
    size_t host = dot ? (size_t)(dot - s) : dns->len;
    v->f[S_MACHINE_NAME] = *dns;
    v->f[S_MACHINE_NAME].len = host;
    v->f[S_MACHINE_NAME].tok = -1;
    if (dot && !fv_nonempty(&v->f[S_MACHINE_DOMAIN])) {
        struct mds_fv *d = &v->f[S_MACHINE_DOMAIN];
        *d = *dns;
        d->tok = -1;
        if (d->p)
            d->p += host + 1;
        else
            d->off += host + 1;
        d->len = dns->len - host - 1;
    }
}

static const struct {
    const char *from, *to;
} severity_names[] = {
    {"informational", "Informational"},
    {"low", "Low"},
    {"medium", "Medium"},
    {"high", "High"},
    {"unknown", "UnSpecified"},
    {"unspecified", "UnSpecified"},
    {"unknownFutureValue", "UnSpecified"},
};

static int slot_ieq(const struct mds_view *v, enum mds_slot s, const char *lit)
{
    const struct mds_fv *f = &v->f[s];
    size_t n = strlen(lit);
    return f->type == FV_STR && f->len == n && strncasecmp(fv_bytes(v, f), lit, n) == 0;
}

static void normalise_severity(struct mds_view *v)
{
    for (size_t i = 0; i < sizeof severity_names / sizeof severity_names[0]; i++) {
        if (slot_ieq(v, S_SEVERITY, severity_names[i].from)) {
            set_static(v, S_SEVERITY, FV_STR, severity_names[i].to);
            return;
        }
    }
}

enum mds_severity mds_view_severity(const struct mds_view *v)
{
    static const struct {
        const char *name;
        enum mds_severity sev;
    } map[] = {{"informational", MDS_SEV_INFORMATIONAL},
               {"low", MDS_SEV_LOW},
               {"medium", MDS_SEV_MEDIUM},
               {"high", MDS_SEV_HIGH}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (slot_ieq(v, S_SEVERITY, map[i].name))
            return map[i].sev;
    return MDS_SEV_UNKNOWN;
}

/* Legacy "Source" labels for Graph/MDE detectionSource values: the two
 * S1 shows (EDR for the sensor, Antivirus), else the value with its first
 * letter upper-cased, as the legacy API spelled enum values. */
static mds_err legacy_source(struct mds_view *v)
{
    static const struct {
        const char *from, *to;
    } map[] = {{"microsoftDefenderForEndpoint", "EDR"},
               {"WindowsDefenderAtp", "EDR"},
               {"antivirus", "Antivirus"},
               {"WindowsDefenderAv", "Antivirus"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (slot_ieq(v, S_SOURCE, map[i].from)) {
            set_static(v, S_SOURCE, FV_STR, map[i].to);
            return MDS_OK;
        }
    }
    return MDS_OK;
}

/* First letter upper-case (Graph camelCase -> legacy PascalCase). */
static mds_err capitalise(struct mds_view *v, enum mds_slot s)
{
    struct mds_fv *f = &v->f[s];
    if (f->type != FV_STR || f->len == 0 || !islower((unsigned char)fv_bytes(v, f)[0]))
        return MDS_OK;
    size_t start = arena_begin(v);
    mds_err err = arena_put_slot(v, s);
    if (err)
        return err;
    v->arena.data[start] = (char)toupper((unsigned char)v->arena.data[start]);
    arena_end(v, s, start, FV_STR);
    return MDS_OK;
}

/* RemediationIsSuccess implied by remediationStatus (seed 002). */
static void remediation_success(struct mds_view *v)
{
    if (slot_ieq(v, S_REMED_ACTION, "remediated") || slot_ieq(v, S_REMED_ACTION, "prevented") ||
        slot_ieq(v, S_REMED_ACTION, "blocked"))
        set_static(v, S_REMED_SUCCESS, FV_TRUE, "true");
    else if (slot_ieq(v, S_REMED_ACTION, "unremediated") || slot_ieq(v, S_REMED_ACTION, "declined") ||
             slot_ieq(v, S_REMED_ACTION, "partiallyRemediated"))
        set_static(v, S_REMED_SUCCESS, FV_FALSE, "false");
}

/* MITRE ids ("T1078", "T1078.004") found in text such as the Streaming
 * API's AttackTechniques, as a JSON array of strings. */
static mds_err extract_techniques(struct mds_view *v)
{
    const struct mds_fv *f = &v->f[S_THREAT_CATEGORY];
    if (f->type != FV_STR || f->len == 0)
        return MDS_OK;
    size_t src_off = f->off, n = f->len;
    const char *src_p = f->p;
    size_t start = arena_begin(v);
    int any = 0;
    mds_err err = mds_buf_putc(&v->arena, '[');
    for (size_t i = 0; i + 5 <= n && !err; i++) {
        const char *s = src_p ? src_p : v->arena.data + src_off; /* re-read: the arena may move */
        if (s[i] != 'T' || (i > 0 && isalnum((unsigned char)s[i - 1])))
            continue;
        size_t k = i + 1;
        while (k < n && k - i <= 4 && isdigit((unsigned char)s[k]))
            k++;
        if (k - i != 5)
            continue;
        if (k + 1 < n && s[k] == '.' && isdigit((unsigned char)s[k + 1]))
            for (k++; k < n && isdigit((unsigned char)s[k]); k++)
                ;
        if (k < n && isalnum((unsigned char)s[k]))
            continue;
        char id[32];
        size_t idlen = k - i < sizeof id - 1 ? k - i : sizeof id - 1;
        memcpy(id, s + i, idlen);
        err = mds_buf_printf(&v->arena, "%s\"%.*s\"", any ? "," : "", (int)idlen, id);
        any = 1;
        i = k - 1;
    }
    if (!err)
        err = mds_buf_putc(&v->arena, ']');
    if (!err && any)
        arena_end(v, S_TECHNIQUES, start, FV_RAW);
    /* ThreatCategory as for Graph alerts: the ids, comma-separated */
    size_t text = arena_begin(v);
    for (size_t i = start + 1; !err && any && i + 1 < text; i++) {
        char c = v->arena.data[i];
        if (c == ',')
            err = mds_buf_puts(&v->arena, ", ");
        else if (c != '"')
            err = mds_buf_putc(&v->arena, c);
    }
    if (!err && any)
        arena_end(v, S_THREAT_CATEGORY, text, FV_STR);
    return err;
}

/* ECS file.path: the directory joined with the name unless the directory
 * already ends with it (Advanced Hunting FolderPath usually does). */
static mds_err full_path(struct mds_view *v)
{
    const struct mds_fv *dir = &v->f[S_FILE_PATH], *name = &v->f[S_FILE_NAME];
    if (dir->type != FV_STR || dir->len == 0)
        return MDS_OK;
    const char *d = fv_bytes(v, dir), *nm = fv_bytes(v, name);
    int has_name = name->type == FV_STR && name->len > 0;
    v->f[S_FILE_DIRECTORY] = *dir;
    if (!has_name)
        return MDS_OK;
    if (dir->len > name->len && memcmp(d + dir->len - name->len, nm, name->len) == 0 &&
        (d[dir->len - name->len - 1] == '\\' || d[dir->len - name->len - 1] == '/')) {
        /* Advanced Hunting's FolderPath already ends with the file name */
        v->f[S_FILE_FULLPATH] = *dir;
        v->f[S_FILE_DIRECTORY].len = dir->len - name->len - 1;
        v->f[S_FILE_DIRECTORY].tok = -1;
        return MDS_OK;
    }
    char sep = memchr(d, '\\', dir->len) || !memchr(d, '/', dir->len) ? '\\' : '/';
    size_t start = arena_begin(v);
    mds_err err = arena_put_slot(v, S_FILE_PATH);
    const char *last = v->arena.data + v->arena.len - 1;
    if (!err && *last != sep)
        err = mds_buf_putc(&v->arena, sep);
    if (!err)
        err = arena_put_slot(v, S_FILE_NAME);
    if (!err)
        arena_end(v, S_FILE_FULLPATH, start, FV_STR);
    return err;
}

static mds_err derive(struct mds_view *v)
{
    mds_err err = MDS_OK;
    split_dns_name(v);
    if (v->kind != MDS_INPUT_SIEM && !fv_nonempty(&v->f[S_FILE_HASH]))
        v->f[S_FILE_HASH] = fv_nonempty(&v->f[S_SHA1]) ? v->f[S_SHA1] : v->f[S_SHA256];
    if (v->kind == MDS_INPUT_GRAPH || v->kind == MDS_INPUT_MDE) {
        if (is_array(v->j, v->f[S_TECHNIQUES].tok) && v->f[S_TECHNIQUES].type == FV_RAW)
            err = join_strings(v, v->f[S_TECHNIQUES].tok, ", ", S_THREAT_CATEGORY);
        if (!err)
            err = capitalise(v, S_CATEGORY);
        if (!err)
            err = legacy_source(v);
        if (!err)
            err = capitalise(v, S_SOURCE);
        if (v->kind == MDS_INPUT_GRAPH && v->f[S_REMED_SUCCESS].type == FV_ABSENT)
            remediation_success(v);
    }
    if (v->kind == MDS_INPUT_STREAM) {
        if (!err)
            err = extract_techniques(v);
        if (!fv_nonempty(&v->f[S_CATEGORY]))
            v->f[S_CATEGORY] = v->f[S_TABLE];
        if (!fv_nonempty(&v->f[S_TITLE]))
            v->f[S_TITLE] = fv_nonempty(&v->f[S_ACTION_TYPE]) ? v->f[S_ACTION_TYPE] : v->f[S_TABLE];
    }
    normalise_severity(v);
    if (!err)
        err = full_path(v);
    return err;
}

/* ---- selection --------------------------------------------------------- */

static mds_err select_summary(struct mds_view *v)
{
    memcpy(v->f, v->base, sizeof v->f);
    v->child = -1;
    mds_err err = apply_contexts(v);
    int main = best_of(v, -1);
    int proc = main >= 0 && v->ev[main].type == EV_PROCESS ? main : best_of(v, EV_PROCESS);
    if (!err && main >= 0)
        err = apply_main(v, &v->ev[main]);
    if (!err && proc >= 0)
        err = apply_process(v, &v->ev[proc]);
    if (!err)
        err = derive(v);
    return err;
}

mds_err mds_view_select_main(struct mds_view *v, int i)
{
    if (!mds_view_ev_is_main(v, i))
        return MDS_ERR_INTERNAL;
    memcpy(v->f, v->base, sizeof v->f);
    v->child = -1;
    mds_err err = apply_contexts(v);
    if (!err)
        err = apply_main(v, &v->ev[i]);
    if (!err && v->ev[i].type == EV_PROCESS)
        err = apply_process(v, &v->ev[i]);
    if (!err)
        err = derive(v);
    return err;
}

/* The alert identity a child event repeats. */
static const enum mds_slot child_identity[] = {
    S_ALERT_TIME, S_TITLE,       S_CATEGORY,  S_SEVERITY,     S_ALERT_ID,  S_IOA_ID, S_LINK_WDATP,
    S_LINK_MTP,   S_LAST_UPDATE, S_TENANT_ID, S_COMPUTER_DNS, S_DEVICE_ID, S_SOURCE, S_LAST_PROCESSED,
};

mds_err mds_view_select_child(struct mds_view *v, int i)
{
    if (i < 0 || i >= v->nev)
        return MDS_ERR_INTERNAL;
    memset(v->f, 0, sizeof v->f);
    for (size_t k = 0; k < sizeof child_identity / sizeof child_identity[0]; k++)
        v->f[child_identity[k]] = v->base[child_identity[k]];
    v->child = i;
    const struct mds_evidence *e = &v->ev[i];
    mds_err err = MDS_OK;
    if (e->type == EV_FILE || e->type == EV_PROCESS) {
        err = apply_main(v, e);
        if (!err && e->type == EV_PROCESS)
            err = apply_process(v, e);
    } else {
        err = apply_context(v, e);
    }
    if (!err && v->kind == MDS_INPUT_GRAPH && e->type != EV_FILE && e->type != EV_PROCESS)
        err = apply_map(v, e->tok, graph_detection_map, 0);
    set_static(v, S_EVIDENCE_TYPE, FV_STR, "");
    v->f[S_EVIDENCE_TYPE].p = e->name;
    v->f[S_EVIDENCE_TYPE].len = e->name_len;
    size_t start = arena_begin(v);
    if (!err)
        err = mds_buf_printf(&v->arena, "%d", e->pos);
    if (!err)
        arena_end(v, S_EVIDENCE_INDEX, start, FV_NUM);
    start = arena_begin(v);
    if (!err)
        err = mds_buf_printf(&v->arena, "evidence:%.*s", (int)e->name_len, e->name);
    if (!err) {
        memset(&v->child_class, 0, sizeof v->child_class);
        v->child_class.off = start;
        v->child_class.len = v->arena.len - start;
        v->child_class.type = FV_STR;
        v->child_class.tok = -1;
    }
    if (!err)
        err = derive(v);
    return err;
}

/* ---- entry ------------------------------------------------------------- */

static void reset(struct mds_view *v, const struct mds_json *j, int root, enum mds_input_kind kind)
{
    v->j = j;
    v->root = root;
    v->kind = kind;
    v->is_alert = kind != MDS_INPUT_STREAM;
    v->table = NULL;
    v->ecs_category = "intrusion_detection";
    v->nev = 0;
    v->evidence_tok = -1;
    v->child = -1;
    mds_buf_reset(&v->arena);
    memset(v->f, 0, sizeof v->f);
}

mds_err mds_view_build(struct mds_view *v, const struct mds_json *j, int root, enum mds_input_kind kind,
                       char *errstr, size_t errlen)
{
    reset(v, j, root, kind);
    if (!is_object(j, root)) {
        snprintf(errstr, errlen, "record is not a JSON object");
        return MDS_ERR_PARSE;
    }
    mds_err err;
    switch (kind) {
    case MDS_INPUT_GRAPH:
        err = scan_top(v, &graph_alert_idx, 0);
        break;
    case MDS_INPUT_MDE:
        err = scan_top(v, &mde_alert_idx, 0);
        break;
    case MDS_INPUT_SIEM:
        err = scan_top(v, &siem_idx, 1);
        break;
    case MDS_INPUT_STREAM:
        err = build_stream(v);
        break;
    default:
        err = MDS_ERR_INTERNAL;
        break;
    }
    if (!err && (kind == MDS_INPUT_GRAPH || kind == MDS_INPUT_MDE))
        err = index_evidence(v, errstr, errlen);
    if (err == MDS_ERR_PARSE)
        snprintf(errstr, errlen, "invalid escape in a JSON string");
    if (err)
        return err;
    memcpy(v->base, v->f, sizeof v->f);
    err = select_summary(v);
    if (err == MDS_ERR_LIMIT || err == MDS_ERR_NOMEM)
        snprintf(errstr, errlen, "record too large to map (%s)", mds_strerror(err));
    return err;
}

/* ---- accessors --------------------------------------------------------- */

const char *mds_view_bytes(const struct mds_view *v, enum mds_slot s, size_t *n)
{
    const struct mds_fv *f = &v->f[s];
    if (f->type == FV_ABSENT || f->type == FV_NULL) {
        *n = 0;
        return NULL;
    }
    *n = f->len;
    return fv_bytes(v, f);
}

int mds_view_has(const struct mds_view *v, enum mds_slot s)
{
    return fv_nonempty(&v->f[s]);
}

mds_err mds_view_ticks(const struct mds_view *v, enum mds_slot s, mds_ticks *out)
{
    size_t n;
    const char *p = mds_view_bytes(v, s, &n);
    if (!p || v->f[s].type != FV_STR)
        return MDS_ERR_PARSE;
    return mds_time_parse(p, n, out);
}

int mds_view_is_int(const struct mds_view *v, enum mds_slot s)
{
    size_t n;
    const char *p = mds_view_bytes(v, s, &n);
    if (!p || (v->f[s].type != FV_STR && v->f[s].type != FV_NUM))
        return 0;
    size_t i = n > 0 && p[0] == '-' ? 1 : 0;
    if (i == n || n - i > 18)
        return 0;
    for (; i < n; i++)
        if (!isdigit((unsigned char)p[i]))
            return 0;
    return 1;
}

const char *mds_view_event_class(const struct mds_view *v, size_t *n)
{
    if (v->child >= 0) {
        *n = v->child_class.len;
        return fv_bytes(v, &v->child_class);
    }
    if (v->kind == MDS_INPUT_STREAM && mds_view_has(v, S_TABLE))
        return mds_view_bytes(v, S_TABLE, n);
    if (v->kind != MDS_INPUT_STREAM && mds_view_has(v, S_IOA_ID))
        return mds_view_bytes(v, S_IOA_ID, n);
    if (mds_view_has(v, S_CATEGORY))
        return mds_view_bytes(v, S_CATEGORY, n);
    *n = 5;
    return "alert";
}

const char *mds_view_event_name(const struct mds_view *v, size_t *n)
{
    if (mds_view_has(v, S_TITLE))
        return mds_view_bytes(v, S_TITLE, n);
    if (mds_view_has(v, S_ACTION_TYPE))
        return mds_view_bytes(v, S_ACTION_TYPE, n);
    return mds_view_event_class(v, n);
}

/* ---- JSON writing ------------------------------------------------------ */

static int string_is_clean(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s + mds_plain_run(s, n),
                        *end = (const unsigned char *)s + n;
    while (p < end) {
        if (*p < 0x20)
            return 0;
        if (*p < 0x80) {
            p++;
            continue;
        }
        /* inline UTF-8 check, same rules as escape.c */
        size_t k = 0;
        unsigned c = *p;
        if (c >= 0xC2 && c < 0xE0)
            k = 2;
        else if (c >= 0xE0 && c < 0xF0)
            k = 3;
        else if (c >= 0xF0 && c < 0xF5)
            k = 4;
        if (!k || (size_t)(end - p) < k)
            return 0;
        unsigned cp = c & (k == 2 ? 0x1F : k == 3 ? 0x0F : 0x07);
        for (size_t i = 1; i < k; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((k == 3 && (cp < 0x800 || (cp >= 0xD800 && cp < 0xE000))) ||
            (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        p += k;
    }
    return 1;
}

/* A string token: raw when already valid JSON text (escapes intact), else
 * decoded and re-escaped. */
static mds_err write_string_tok(const struct mds_json *j, int t, struct mds_buf *out)
{
    const char *s = j->js + j->tok[t].start;
    size_t n = (size_t)(j->tok[t].end - j->tok[t].start);
    mds_err err = mds_buf_putc(out, '"');
    if (!err && string_is_clean(s, n)) {
        err = mds_buf_append(out, s, n);
    } else if (!err) {
        struct mds_buf tmp;
        mds_buf_init(&tmp, 0);
        err = mds_json_decode(j, t, &tmp);
        if (!err)
            err = mds_json_escape(out, tmp.data ? tmp.data : "", tmp.len);
        mds_buf_finish(&tmp);
    }
    if (!err)
        err = mds_buf_putc(out, '"');
    return err;
}

static int primitive_ok(const char *s, size_t n)
{
    if ((n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "null", 4))) || (n == 5 && !memcmp(s, "false", 5)))
        return 1;
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n || !isdigit((unsigned char)s[i]))
        return 0;
    if (s[i] == '0')
        i++;
    else
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
    if (i < n && s[i] == '.') {
        if (++i >= n || !isdigit((unsigned char)s[i]))
            return 0;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        if (++i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !isdigit((unsigned char)s[i]))
            return 0;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
    }
    return i == n;
}

/* as deep as the parser lets a document be (json_check.c): a record that
 * was accepted can always be written back (it was 256, so records nested
 * 257 to 512 deep failed to render, and `run` retried them for ever) */
#define MAX_DEPTH MDS_JSON_MAX_DEPTH

static mds_err write_compact(const struct mds_json *j, int t, struct mds_buf *out, int depth, int *next)
{
    const jsmntok_t *k = &j->tok[t];
    if (depth > MAX_DEPTH)
        return MDS_ERR_LIMIT;
    if (k->type == JSMN_STRING) {
        *next = t + 1;
        return write_string_tok(j, t, out);
    }
    if (k->type == JSMN_PRIMITIVE) {
        const char *s = j->js + k->start;
        size_t n = (size_t)(k->end - k->start);
        *next = t + 1;
        if (primitive_ok(s, n))
            return mds_buf_append(out, s, n);
        return mds_json_quote(out, s, n); /* jsmn lets "tru" through; keep output valid */
    }
    int obj = k->type == JSMN_OBJECT;
    mds_err err = mds_buf_putc(out, obj ? '{' : '[');
    int c = t + 1;
    for (int i = 0; i < k->size && !err; i++) {
        if (i)
            err = mds_buf_putc(out, ',');
        if (!err && obj) {
            err = write_string_tok(j, c, out);
            if (!err)
                err = mds_buf_putc(out, ':');
            c++;
        }
        if (!err)
            err = write_compact(j, c, out, depth + 1, &c);
    }
    if (!err)
        err = mds_buf_putc(out, obj ? '}' : ']');
    *next = c;
    return err;
}

mds_err mds_json_write_compact(const struct mds_json *j, int t, struct mds_buf *out)
{
    int next;
    return write_compact(j, t, out, 0, &next);
}

/* The raw text of token t when it can be copied (newlines between tokens
 * become spaces), else the compact re-serialisation. */
static mds_err write_raw_or_compact(const struct mds_json *j, int t, struct mds_buf *out)
{
    size_t n;
    const char *s = mds_json_raw(j, t, &n);
    if (j->tok[t].type == JSMN_STRING || !mds_json_raw_copyable(s, n))
        return mds_json_write_compact(j, t, out);
    size_t start = out->len;
    mds_err err = mds_buf_append(out, s, n);
    for (char *q = out->data + start, *end = out->data + out->len; !err && q < end; q++) {
        q = q + mds_plain_run(q, (size_t)(end - q));
        if (q < end && (*q == '\n' || *q == '\r'))
            *q = ' ';
    }
    return err;
}

mds_err mds_view_original(const struct mds_view *v, int child_only, struct mds_buf *out)
{
    int t = child_only && v->child >= 0 ? v->ev[v->child].tok : v->root;
    return write_raw_or_compact(v->j, t, out);
}

mds_err mds_view_write_json(const struct mds_view *v, enum mds_slot s, struct mds_buf *out)
{
    const struct mds_fv *f = &v->f[s];
    switch (f->type) {
    case FV_STR:
        return mds_json_quote(out, fv_bytes(v, f), f->len);
    case FV_NUM:
        if (primitive_ok(fv_bytes(v, f), f->len))
            return mds_buf_append(out, fv_bytes(v, f), f->len);
        return mds_json_quote(out, fv_bytes(v, f), f->len);
    case FV_TRUE:
        return mds_buf_puts(out, "true");
    case FV_FALSE:
        return mds_buf_puts(out, "false");
    case FV_RAW:
        if (f->tok >= 0)
            return mds_json_write_compact(v->j, f->tok, out);
        return mds_buf_append(out, fv_bytes(v, f), f->len);
    default:
        return mds_buf_puts(out, "null");
    }
}
