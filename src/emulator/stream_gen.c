/*
 * stream_gen.c - Advanced Hunting rows for the emulator's stream producer
 * (see stream.h). Everything is derived from (seed, message number) with a
 * splitmix64 generator, so a test can produce the same stream twice and a
 * benchmark always measures the same bytes.
 */
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "emulator/stream.h"

#define NDEVICES 64
#define NACCOUNTS 6
#define NPROCS 8

struct rng {
    uint64_t s;
};

static uint64_t next(struct rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static unsigned pick(struct rng *r, unsigned n)
{
    return (unsigned)(next(r) % n);
}

/* ---- a tiny JSON object writer: the first error sticks ---- */

struct w {
    struct mds_buf *b;
    int n;
    mds_err err;
};

static void key(struct w *w, const char *k)
{
    if (!w->err)
        w->err = mds_buf_printf(w->b, "%s\"%s\":", w->n++ ? "," : "", k);
}

static void str(struct w *w, const char *k, const char *v)
{
    key(w, k);
    if (!w->err)
        w->err = v ? mds_json_quote(w->b, v, strlen(v)) : mds_buf_puts(w->b, "null");
}

static void num(struct w *w, const char *k, long long v)
{
    key(w, k);
    if (!w->err)
        w->err = mds_buf_printf(w->b, "%lld", v);
}

static void boolean(struct w *w, const char *k, int v)
{
    key(w, k);
    if (!w->err)
        w->err = mds_buf_puts(w->b, v ? "true" : "false");
}

static void null(struct w *w, const char *k)
{
    str(w, k, NULL);
}

static void stamp(struct w *w, const char *k, mds_ticks t)
{
    char ts[40];
    mds_time_format(t, 7, ts, sizeof ts);
    str(w, k, ts);
}

/* A value that is itself JSON, written as a string (AdditionalFields). */
static void encoded(struct w *w, const char *k, const char *json)
{
    str(w, k, json);
}

static void hex(struct rng *r, char *out, int digits)
{
    static const char h[] = "0123456789abcdef";
    for (int i = 0; i < digits; i++)
        out[i] = h[next(r) & 15];
    out[digits] = '\0';
}

static void uuid(struct rng *r, char out[37])
{
    char x[33];
    hex(r, x, 32);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", x, x + 8, x + 12, x + 16, x + 20);
}

/* ---- the universe: devices, accounts, processes ---- */

struct account {
    const char *domain, *name, *upn;
    int rid;
};

static const struct account accounts[NACCOUNTS] = {
    {"contoso", "alice", "alice@contoso.com", 1103},
    {"contoso", "bob", "bob@contoso.com", 1104},
    {"contoso", "svc-backup", NULL, 1201},
    {"nt authority", "system", NULL, 18},
    {"contoso", "carol.admin", "carol.admin@contoso.com", 500},
    {"fabrikam", "dave", "dave@fabrikam.com", 1432},
};

struct proc {
    const char *file, *folder, *company, *product, *version, *desc, *cmdline;
};

static const struct proc procs[NPROCS] = {
    {"powershell.exe", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
     "Microsoft Corporation", "Microsoft\u00ae Windows\u00ae Operating System", "10.0.19041.3996",
     "Windows PowerShell",
     "powershell.exe -NoProfile -ExecutionPolicy Bypass -Command \"Get-Process | Where-Object {$_.CPU -gt "
     "100}\""},
    {"cmd.exe", "C:\\Windows\\System32\\cmd.exe", "Microsoft Corporation",
     "Microsoft\u00ae Windows\u00ae Operating System", "10.0.19041.3636", "Windows Command Processor",
     "cmd.exe /c \"whoami /all > C:\\Users\\Public\\out.txt\""},
    {"svchost.exe", "C:\\Windows\\System32\\svchost.exe", "Microsoft Corporation",
     "Microsoft\u00ae Windows\u00ae Operating System", "10.0.19041.1806", "Host Process for Windows Services",
     "svchost.exe -k netsvcs -p -s Schedule"},
    {"chrome.exe", "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "Google LLC",
     "Google Chrome", "121.0.6167.161", "Google Chrome", "\"chrome.exe\" --type=renderer --lang=en-US"},
    {"explorer.exe", "C:\\Windows\\explorer.exe", "Microsoft Corporation",
     "Microsoft\u00ae Windows\u00ae Operating System", "10.0.19041.3996", "Windows Explorer",
     "C:\\Windows\\Explorer.EXE"},
    {"rundll32.exe", "C:\\Windows\\System32\\rundll32.exe", "Microsoft Corporation",
     "Microsoft\u00ae Windows\u00ae Operating System", "10.0.19041.3636", "Windows host process (Rundll32)",
     "rundll32.exe C:\\Users\\alice\\AppData\\Local\\Temp\\x.dll,DllRegisterServer"},
    {"WINWORD.EXE", "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
     "Microsoft Corporation", "Microsoft Office", "16.0.17231.20236", "Microsoft Word",
     "\"WINWORD.EXE\" /n \"C:\\Users\\bob\\Q3 \u00e9t\u00e9.docx\""},
    {"python.exe", "C:\\Python312\\python.exe", "Python Software Foundation", "Python", "3.12.1", "Python",
     "python.exe -c \"print('tab\\there')\""},
};

struct ctx {
    const struct mds_emu_stream_gen *g;
    struct rng r;
    mds_ticks time;       /* record `time`: when Defender received it */
    mds_ticks event_time; /* properties.Timestamp */
    uint64_t report_id;
    char alert_id[48];
};

static struct rng seeded(uint64_t seed, uint64_t a, uint64_t b)
{
    struct rng r = {seed ^ (a * 0x9E3779B97F4A7C15ULL) ^ (b * 0xC2B2AE3D27D4EB4FULL)};
    next(&r);
    return r;
}

static void device(struct ctx *c, struct w *w, unsigned d)
{
    struct rng r = seeded(c->g->seed, 1000 + d, 7);
    char id[41], name[64];
    hex(&r, id, 40);
    snprintf(name, sizeof name, "%s-%03u.contoso.local", d % 8 == 0 ? "srv" : "ws", d);
    str(w, "DeviceId", id);
    str(w, "DeviceName", name);
}

static void account_sid(const struct account *a, char *out, size_t size)
{
    if (a->rid == 18)
        snprintf(out, size, "S-1-5-18");
    else
        snprintf(out, size, "S-1-5-21-1004336348-1177238915-682003330-%d", a->rid);
}

static void account_cols(struct ctx *c, struct w *w, const char *prefix, const struct account *a)
{
    char k[96], sid[80], oid[37];
    struct rng r = seeded(c->g->seed, 2000 + (uint64_t)a->rid, 3);
    account_sid(a, sid, sizeof sid);
    uuid(&r, oid);
    snprintf(k, sizeof k, "%sDomain", prefix);
    str(w, k, a->domain);
    snprintf(k, sizeof k, "%sName", prefix);
    str(w, k, a->name);
    snprintf(k, sizeof k, "%sSid", prefix);
    str(w, k, sid);
    snprintf(k, sizeof k, "%sUpn", prefix);
    str(w, k, a->upn);
    snprintf(k, sizeof k, "%sObjectId", prefix);
    str(w, k, a->upn ? oid : NULL);
}

static void file_hashes(struct ctx *c, struct w *w, const char *prefix, unsigned p)
{
    char k[64], h[65];
    struct rng r = seeded(c->g->seed, 3000 + p, 5);
    const char *names[] = {"SHA1", "SHA256", "MD5"};
    const int digits[] = {40, 64, 32};
    for (int i = 0; i < 3; i++) {
        hex(&r, h, digits[i]);
        snprintf(k, sizeof k, "%s%s", prefix, names[i]);
        str(w, k, h);
    }
}

static void version_info(struct w *w, const char *prefix, const struct proc *p)
{
    char k[96];
    const char *cols[] = {"CompanyName",      "ProductName",      "ProductVersion",
                          "InternalFileName", "OriginalFileName", "FileDescription"};
    const char *vals[] = {p->company, p->product, p->version, p->file, p->file, p->desc};
    for (int i = 0; i < 6; i++) {
        snprintf(k, sizeof k, "%sVersionInfo%s", prefix, cols[i]);
        str(w, k, vals[i]);
    }
}

/* The InitiatingProcess* columns shared by the Device*Events tables. */
static void initiating(struct ctx *c, struct w *w)
{
    unsigned p = pick(&c->r, NPROCS), parent = pick(&c->r, NPROCS);
    const struct account *a = &accounts[pick(&c->r, NACCOUNTS)];
    account_cols(c, w, "InitiatingProcessAccount", a);
    file_hashes(c, w, "InitiatingProcess", p);
    str(w, "InitiatingProcessFileName", procs[p].file);
    num(w, "InitiatingProcessFileSize", 100000 + (long long)pick(&c->r, 5000000));
    version_info(w, "InitiatingProcess", &procs[p]);
    num(w, "InitiatingProcessId", 1000 + (long long)pick(&c->r, 30000));
    str(w, "InitiatingProcessCommandLine", procs[p].cmdline);
    stamp(w, "InitiatingProcessCreationTime",
          c->event_time - (mds_ticks)pick(&c->r, 36000) * MDS_TICKS_PER_SEC);
    str(w, "InitiatingProcessFolderPath", procs[p].folder);
    num(w, "InitiatingProcessParentId", 500 + (long long)pick(&c->r, 10000));
    str(w, "InitiatingProcessParentFileName", procs[parent].file);
    stamp(w, "InitiatingProcessParentCreationTime", c->event_time - 86400 * MDS_TICKS_PER_SEC);
    str(w, "InitiatingProcessSignerType", pick(&c->r, 4) ? "OsVendor" : "ThirdParty");
    str(w, "InitiatingProcessSignatureStatus", pick(&c->r, 10) ? "Valid" : "Unsigned");
    str(w, "InitiatingProcessIntegrityLevel", pick(&c->r, 3) ? "Medium" : "High");
    str(w, "InitiatingProcessTokenElevation",
        pick(&c->r, 3) ? "TokenElevationTypeLimited" : "TokenElevationTypeFull");
    num(w, "InitiatingProcessLogonId", 100000 + (long long)pick(&c->r, 900000));
}

static void trailer(struct ctx *c, struct w *w, const char *additional)
{
    num(w, "ReportId", (long long)c->report_id);
    str(w, "AppGuardContainerId", "");
    if (additional)
        encoded(w, "AdditionalFields", additional);
    else
        null(w, "AdditionalFields");
    str(w, "MachineGroup", pick(&c->r, 2) ? "Workstations" : NULL);
}

static void remote_session(struct ctx *c, struct w *w)
{
    int remote = pick(&c->r, 10) == 0;
    num(w, "InitiatingProcessSessionId", 1 + (long long)pick(&c->r, 5));
    boolean(w, "IsInitiatingProcessRemoteSession", remote);
    str(w, "InitiatingProcessRemoteSessionDeviceName", remote ? "jumpbox-01" : NULL);
    str(w, "InitiatingProcessRemoteSessionIP", remote ? "10.1.0.4" : NULL);
}

static void ip(struct rng *r, char *out, size_t size, int public_ip)
{
    if (public_ip)
        snprintf(out, size, "%u.%u.%u.%u", 20 + pick(r, 180), pick(r, 256), pick(r, 256), 1 + pick(r, 254));
    else
        snprintf(out, size, "10.%u.%u.%u", pick(r, 4), pick(r, 256), 1 + pick(r, 254));
}

static void process_events(struct ctx *c, struct w *w)
{
    static const char *const actions[] = {"ProcessCreated", "OpenProcessApiCall"};
    unsigned p = pick(&c->r, NPROCS);
    const struct account *a = &accounts[pick(&c->r, NACCOUNTS)];
    char extra[160];
    stamp(w, "Timestamp", c->event_time);
    device(c, w, pick(&c->r, NDEVICES));
    str(w, "ActionType", actions[pick(&c->r, 8) == 0]);
    str(w, "FileName", procs[p].file);
    str(w, "FolderPath", procs[p].folder);
    file_hashes(c, w, "", p);
    num(w, "FileSize", 50000 + (long long)pick(&c->r, 9000000));
    version_info(w, "Process", &procs[p]);
    num(w, "ProcessId", 1000 + (long long)pick(&c->r, 60000));
    str(w, "ProcessCommandLine", procs[p].cmdline);
    str(w, "ProcessIntegrityLevel", pick(&c->r, 4) ? "Medium" : "System");
    str(w, "ProcessTokenElevation", "TokenElevationTypeDefault");
    stamp(w, "ProcessCreationTime", c->event_time);
    account_cols(c, w, "Account", a);
    num(w, "LogonId", 100000 + (long long)pick(&c->r, 900000));
    initiating(c, w);
    snprintf(extra, sizeof extra, "{\"ProcessStartKey\":%llu,\"IsProcessRemoteSession\":false}",
             (unsigned long long)(next(&c->r) % 10000000000ULL));
    trailer(c, w, extra);
}

static void network_events(struct ctx *c, struct w *w)
{
    static const char *const actions[] = {"ConnectionSuccess", "ConnectionFailed",
                                          "InboundConnectionAccepted", "ListeningConnectionCreated"};
    static const char *const urls[] = {"login.microsoftonline.com", "www.bing.com", NULL,
                                       "updates.example.net"};
    char rip[32], lip[32];
    int pub = pick(&c->r, 3) != 0;
    ip(&c->r, rip, sizeof rip, pub);
    ip(&c->r, lip, sizeof lip, 0);
    stamp(w, "Timestamp", c->event_time);
    device(c, w, pick(&c->r, NDEVICES));
    str(w, "ActionType", actions[pick(&c->r, 4)]);
    str(w, "RemoteIP", rip);
    num(w, "RemotePort", pick(&c->r, 2) ? 443 : 1024 + (long long)pick(&c->r, 60000));
    str(w, "RemoteUrl", pub ? urls[pick(&c->r, 4)] : NULL);
    str(w, "LocalIP", lip);
    num(w, "LocalPort", 49152 + (long long)pick(&c->r, 16000));
    str(w, "Protocol", pick(&c->r, 5) ? "Tcp" : "Udp");
    str(w, "LocalIPType", "Private");
    str(w, "RemoteIPType", pub ? "Public" : "Private");
    initiating(c, w);
    trailer(c, w, pick(&c->r, 3) ? NULL : "{\"direction\":\"Out\"}");
    remote_session(c, w);
}

static void file_events(struct ctx *c, struct w *w)
{
    static const char *const actions[] = {"FileCreated", "FileModified", "FileRenamed", "FileDeleted"};
    static const char *const files[] = {"invoice.pdf", "payload.ps1", "report Q3.xlsx", "setup.exe"};
    char folder[160], oip[32];
    unsigned f = pick(&c->r, 4);
    const struct account *a = &accounts[pick(&c->r, NACCOUNTS)];
    snprintf(folder, sizeof folder, "C:\\Users\\%s\\Downloads\\%s", a->name, files[f]);
    ip(&c->r, oip, sizeof oip, 1);
    stamp(w, "Timestamp", c->event_time);
    device(c, w, pick(&c->r, NDEVICES));
    str(w, "ActionType", actions[pick(&c->r, 4)]);
    str(w, "FileName", files[f]);
    str(w, "FolderPath", folder);
    file_hashes(c, w, "", 100 + f);
    str(w, "FileOriginUrl", f == 3 ? "https://download.example.net/setup.exe" : NULL);
    str(w, "FileOriginReferrerUrl", NULL);
    str(w, "FileOriginIP", f == 3 ? oip : NULL);
    str(w, "PreviousFolderPath", NULL);
    str(w, "PreviousFileName", NULL);
    num(w, "FileSize", 1000 + (long long)pick(&c->r, 20000000));
    initiating(c, w);
    str(w, "RequestProtocol", pick(&c->r, 5) ? "Local" : "SMB");
    str(w, "RequestSourceIP", NULL);
    null(w, "RequestSourcePort");
    str(w, "RequestAccountName", a->name);
    str(w, "RequestAccountDomain", a->domain);
    str(w, "RequestAccountSid", NULL);
    str(w, "ShareName", NULL);
    str(w, "SensitivityLabel", NULL);
    str(w, "SensitivitySubLabel", NULL);
    boolean(w, "IsAzureInfoProtectionApplied", 0);
    trailer(c, w, "{\"FileType\":\"PortableExecutable\"}");
    remote_session(c, w);
}

static void logon_events(struct ctx *c, struct w *w)
{
    static const char *const types[] = {"Interactive", "Network", "RemoteInteractive", "Service"};
    const struct account *a = &accounts[pick(&c->r, NACCOUNTS)];
    char sid[80], rip[32];
    int ok = pick(&c->r, 5) != 0;
    account_sid(a, sid, sizeof sid);
    ip(&c->r, rip, sizeof rip, pick(&c->r, 4) == 0);
    stamp(w, "Timestamp", c->event_time);
    device(c, w, pick(&c->r, NDEVICES));
    str(w, "ActionType", ok ? "LogonSuccess" : "LogonFailed");
    str(w, "LogonType", types[pick(&c->r, 4)]);
    str(w, "AccountDomain", a->domain);
    str(w, "AccountName", a->name);
    str(w, "AccountSid", sid);
    str(w, "Protocol", pick(&c->r, 2) ? "Kerberos" : "NTLM");
    str(w, "FailureReason", ok ? NULL : "InvalidUserNameOrPassword");
    boolean(w, "IsLocalAdmin", a->rid == 500);
    num(w, "LogonId", 100000 + (long long)pick(&c->r, 900000));
    str(w, "RemoteDeviceName", NULL);
    str(w, "RemoteIP", rip);
    str(w, "RemoteIPType", "Private");
    num(w, "RemotePort", 1024 + (long long)pick(&c->r, 60000));
    initiating(c, w);
    trailer(c, w, "{\"IsLocalLogon\":true}");
}

static const char *const titles[] = {"Anomalous silent process exit monitor registration",
                                     "Suspicious PowerShell command line", "Possible credential dumping",
                                     "Ransomware behavior detected in the file system"};
static const char *const techniques[] = {
    "[\"Valid Accounts (T1078)\",\"Cloud Accounts (T1078.004)\"]", "[\"PowerShell (T1059.001)\"]",
    "[\"OS Credential Dumping (T1003)\"]", "[\"Data Encrypted for Impact (T1486)\"]"};
static const char *const categories[] = {"Persistence", "Execution", "CredentialAccess", "Impact"};

static void alert_id(struct ctx *c, unsigned salt)
{
    struct rng r = seeded(c->g->seed, 4000 + salt, 11);
    snprintf(c->alert_id, sizeof c->alert_id, "da%018llu_%09llu",
             (unsigned long long)(next(&r) % 1000000000000000000ULL),
             (unsigned long long)(next(&r) % 1000000000ULL));
}

static void alert_common(struct ctx *c, struct w *w, unsigned kind)
{
    stamp(w, "Timestamp", c->event_time);
    str(w, "AlertId", c->alert_id);
    str(w, "Title", titles[kind]);
}

static void alert_info(struct ctx *c, struct w *w, unsigned salt)
{
    static const char *const sev[] = {"Informational", "Low", "Medium", "High"};
    unsigned kind = salt % 4;
    alert_common(c, w, kind);
    str(w, "Category", categories[kind]);
    str(w, "Severity", sev[pick(&c->r, 4)]);
    str(w, "ServiceSource", "Microsoft Defender for Endpoint");
    str(w, "DetectionSource", pick(&c->r, 2) ? "EDR" : "Antivirus");
    encoded(w, "AttackTechniques", techniques[kind]);
    null(w, "MachineGroup");
}

static void alert_evidence(struct ctx *c, struct w *w, unsigned salt)
{
    static const char *const types[] = {"Machine", "File", "Process", "User", "Ip"};
    unsigned kind = salt % 4, t = pick(&c->r, 5);
    const struct account *a = &accounts[pick(&c->r, NACCOUNTS)];
    char cats[64], rip[32];
    snprintf(cats, sizeof cats, "[\"%s\"]", categories[kind]);
    ip(&c->r, rip, sizeof rip, 1);
    alert_common(c, w, kind);
    encoded(w, "Categories", cats);
    encoded(w, "AttackTechniques", techniques[kind]);
    str(w, "ServiceSource", "Microsoft Defender for Endpoint");
    str(w, "DetectionSource", "EDR");
    str(w, "EntityType", types[t]);
    str(w, "EvidenceRole", pick(&c->r, 2) ? "Impacted" : "Related");
    str(w, "EvidenceDirection", NULL);
    str(w, "FileName", t == 1 || t == 2 ? procs[kind].file : NULL);
    str(w, "FolderPath", t == 1 || t == 2 ? procs[kind].folder : NULL);
    if (t == 1 || t == 2)
        file_hashes(c, w, "", kind);
    else {
        null(w, "SHA1");
        null(w, "SHA256");
    }
    if (t == 1)
        num(w, "FileSize", 123456);
    else
        null(w, "FileSize");
    str(w, "ThreatFamily", NULL);
    str(w, "RemoteIP", t == 4 ? rip : NULL);
    str(w, "RemoteUrl", NULL);
    str(w, "AccountName", t == 3 ? a->name : NULL);
    str(w, "AccountDomain", t == 3 ? a->domain : NULL);
    str(w, "AccountSid", NULL);
    str(w, "AccountObjectId", NULL);
    str(w, "AccountUpn", t == 3 ? a->upn : NULL);
    if (t == 0)
        device(c, w, pick(&c->r, NDEVICES));
    else {
        null(w, "DeviceId");
        null(w, "DeviceName");
    }
    str(w, "LocalIP", NULL);
    str(w, "NetworkMessageId", NULL);
    str(w, "EmailSubject", NULL);
    str(w, "Application", NULL);
    null(w, "ApplicationId");
    str(w, "OAuthApplicationId", NULL);
    str(w, "ProcessCommandLine", t == 2 ? procs[kind].cmdline : NULL);
    str(w, "RegistryKey", NULL);
    str(w, "RegistryValueName", NULL);
    str(w, "RegistryValueData", NULL);
    encoded(w, "AdditionalFields",
            t == 0 ? "{\"HealthStatus\":\"Active\",\"OSPlatform\":\"Windows10\"}" : "{}");
    str(w, "Severity", "Medium");
    str(w, "CloudResource", NULL);
    str(w, "CloudPlatform", NULL);
    str(w, "ResourceType", NULL);
    str(w, "ResourceID", NULL);
    str(w, "SubscriptionId", NULL);
    null(w, "MachineGroup");
}

enum table { T_PROCESS, T_NETWORK, T_FILE, T_LOGON, T_ALERT_INFO, T_ALERT_EVIDENCE };

static const char *const table_names[] = {"DeviceProcessEvents", "DeviceNetworkEvents", "DeviceFileEvents",
                                          "DeviceLogonEvents",   "AlertInfo",           "AlertEvidence"};

static enum table pick_table(struct rng *r)
{
    unsigned x = pick(r, 100);
    return x < 30   ? T_PROCESS
           : x < 55 ? T_NETWORK
           : x < 75 ? T_FILE
           : x < 85 ? T_LOGON
           : x < 92 ? T_ALERT_INFO
                    : T_ALERT_EVIDENCE;
}

static void properties(struct ctx *c, struct w *w, enum table t, uint64_t m)
{
    unsigned salt = (unsigned)(m % 5000);
    if (t == T_ALERT_INFO || t == T_ALERT_EVIDENCE)
        alert_id(c, salt);
    switch (t) {
    case T_PROCESS:
        process_events(c, w);
        break;
    case T_NETWORK:
        network_events(c, w);
        break;
    case T_FILE:
        file_events(c, w);
        break;
    case T_LOGON:
        logon_events(c, w);
        break;
    case T_ALERT_INFO:
        alert_info(c, w, salt);
        break;
    case T_ALERT_EVIDENCE:
        alert_evidence(c, w, salt);
        break;
    }
}

static mds_err record(struct ctx *c, struct mds_buf *out, uint64_t m)
{
    enum table t = pick_table(&c->r);
    char cat[64];
    struct w w = {.b = out};
    snprintf(cat, sizeof cat, "AdvancedHunting-%s", table_names[t]);
    mds_err err = mds_buf_putc(out, '{');
    if (err)
        return err;
    stamp(&w, "time", c->time);
    str(&w, "tenantId", c->g->tenant);
    str(&w, "operationName", "Publish");
    str(&w, "category", cat);
    str(&w, "Tenant", "DefaultTenant");
    stamp(&w, "_TimeReceivedBySvc", c->time - (mds_ticks)pick(&c->r, 50000000));
    key(&w, "properties");
    if (w.err)
        return w.err;
    struct w p = {.b = out};
    if ((err = mds_buf_putc(out, '{')))
        return err;
    properties(c, &p, t, m);
    if (p.err)
        return p.err;
    return mds_buf_puts(out, "}}");
}

void mds_emu_stream_gen_init(struct mds_emu_stream_gen *g, uint64_t seed, mds_ticks base, int max_records)
{
    struct rng r = seeded(seed, 0, 1);
    memset(g, 0, sizeof *g);
    g->seed = seed;
    g->base = base;
    g->max_records = max_records > 0 ? max_records : 1;
    uuid(&r, g->tenant);
}

mds_err mds_emu_stream_message(const struct mds_emu_stream_gen *g, uint64_t m, int limit, struct mds_buf *out,
                               int *nrecords)
{
    struct ctx c = {.g = g, .r = seeded(g->seed, m, 2)};
    int n = 1 + (int)pick(&c.r, (unsigned)g->max_records);
    if (limit > 0 && n > limit)
        n = limit;
    mds_err err = mds_buf_puts(out, "{\"records\":[");
    for (int i = 0; i < n && !err; i++) {
        /* 64 slots of 3.125 ms per message: distinct, increasing times */
        c.time = g->base + (mds_ticks)m * 2000000 + (mds_ticks)i * 31250 + (mds_ticks)pick(&c.r, 31250);
        c.event_time =
            c.time - (mds_ticks)(1 + pick(&c.r, 120)) * MDS_TICKS_PER_SEC - (mds_ticks)pick(&c.r, 9999999);
        c.report_id = m * 64 + (uint64_t)i;
        if (i)
            err = mds_buf_putc(out, ',');
        if (!err)
            err = record(&c, out, m);
    }
    if (!err)
        err = mds_buf_puts(out, "]}");
    *nrecords = err ? 0 : n;
    return err;
}

mds_err mds_emu_stream_malformed(const struct mds_emu_stream_gen *g, uint64_t m, struct mds_buf *out)
{
    int n;
    switch (m % 5) {
    case 0:
        return mds_buf_printf(out, "this is not JSON (malformed message %llu)", (unsigned long long)m);
    case 1: {
        /* a real message cut in the middle */
        size_t start = out->len;
        mds_err err = mds_emu_stream_message(g, m + (1ULL << 32), 0, out, &n);
        if (!err)
            out->len = start + (out->len - start) / 2;
        if (!err)
            out->data[out->len] = '\0';
        return err;
    }
    case 2:
        return mds_buf_printf(out, "{\"value\":[],\"malformed\":%llu}", (unsigned long long)m);
    case 3:
        return mds_buf_printf(out, "{\"records\":[{\"time\":\"2024-01-01T00:00:00Z\"},42,\"m%llu\"]}",
                              (unsigned long long)m);
    default:
        return mds_buf_printf(out, "{\"records\":{\"malformed\":%llu}}", (unsigned long long)m);
    }
}
