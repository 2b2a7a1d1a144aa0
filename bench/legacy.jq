# bench/legacy.jq - the `legacy` format of `mdesiem convert --from graph`
# written in jq: what a user would script instead of mdesiem.
#
# Input: a Graph alerts_v2 page {"value":[...]} (or JSON lines of pages).
# Output: one legacy SIEM API detection per alert (jq -c), all 50 fields in
# the order and spelling of src/formats/legacy.c, filled by the same field
# table (seed 002, src/formats/view.c) with the default evidence policy
# `first`: the device, ip, url and user evidence give their context, the
# highest-scoring file or process evidence gives the file fields.
# bench/convert.sh checks that this program and mdesiem agree on every
# field of the benchmark page before it times anything.

def v: if . == null then "" else . end;
def lc: if type == "string" then ascii_downcase else null end;
def nonempty: . != null and . != "";
def cap: if type == "string" and length > 0 and (.[0:1] | test("^[a-z]$"))
         then (.[0:1] | ascii_upcase) + .[1:] else . end;
def etype: (.["@odata.type"] // "") | if type == "string" then ltrimstr("#microsoft.graph.security.") else "" end;
def score:
  (if (.verdict | lc) == "malicious" then 4 elif (.verdict | lc) == "suspicious" then 2 else 0 end)
  + (if (.detectionStatus | type) == "string" and .detectionStatus != "" then 2 else 0 end)
  + (if (.remediationStatus | lc) as $r | ["remediated", "prevented", "blocked"] | index([$r]) then 1 else 0 end);
# the earliest item with the highest score, or null
def best: reduce .[] as $e (null; if . == null or ($e.s > .s) then $e else . end) | if . == null then null else .e end;
def joined(sep): [.[]? | strings] | join(sep);

def severity:
  ({"informational": "Informational", "low": "Low", "medium": "Medium", "high": "High",
    "unknown": "UnSpecified", "unspecified": "UnSpecified", "unknownfuturevalue": "UnSpecified"}[lc // ""]) // .;
def source:
  ({"microsoftdefenderforendpoint": "EDR", "windowsdefenderatp": "EDR",
    "antivirus": "Antivirus", "windowsdefenderav": "Antivirus"}[lc // ""]) // cap;
def was_executing:
  (.detectionStatus | lc) as $d
  | if $d == "detected" then true elif $d == "blocked" or $d == "prevented" then false else null end;
def remediation_success:
  lc as $r
  | if ["remediated", "prevented", "blocked"] | index([$r]) then true
    elif ["unremediated", "declined", "partiallyremediated"] | index([$r]) then false
    else null end;

def detection:
  . as $a
  | [($a.evidence // [])[]? | objects | {t: etype, e: .}] as $ev
  | ([$ev[] | select(.t == "deviceEvidence") | .e] | first) as $dev
  | ([$ev[] | select(.t == "ipEvidence") | .e] | first) as $ip
  | ([$ev[] | select(.t == "urlEvidence") | .e] | first) as $url
  | ([$ev[] | select(.t == "userEvidence") | .e] | first) as $user
  | ([$ev[] | select(.t == "fileEvidence" or .t == "processEvidence") | {t, e, s: (.e | score)}]) as $main_candidates
  | ($main_candidates | best) as $main
  | (if $main != null and ($main | etype) == "processEvidence" then $main
     else [$main_candidates[] | select(.t == "processEvidence")] | best end) as $proc
  | (if $main == null then null
     elif ($main | etype) == "fileEvidence" then $main.fileDetails else $main.imageFile end
     | if type == "object" then . else null end) as $file
  | ($dev.deviceDnsName) as $dns
  | (if ($dns | type) == "string" and $dns != "" then $dns else null end) as $host
  | (if $dev != null and ($dev.mdeDeviceId | nonempty) then $dev.mdeDeviceId
     elif $main != null and ($main.mdeDeviceId | type) == "string" and $main.mdeDeviceId != "" then $main.mdeDeviceId
     else $dev.mdeDeviceId end) as $device_id
  | ($main.remediationStatus) as $remediation
  | (if ($file.sha1 | nonempty) then $file.sha1 else $file.sha256 end) as $hash
  | ($dev.tags | if type == "array" then joined(", ") else null end) as $tags
  | {
      AlertTime: ($a.createdDateTime | v),
      ComputerDnsName: ($dns | v),
      AlertTitle: ($a.title | v),
      Category: ($a.category | cap | v),
      Severity: ($a.severity | severity | v),
      AlertId: ($a.id | v),
      Actor: ($a.actorDisplayName | v),
      LinkToWDATP: ($a.alertWebUrl | v),
      IocName: "", IocValue: "", CreatorIocName: "", CreatorIocValue: "",
      Sha1: ($file.sha1 | v),
      FileName: ($file.fileName | v),
      FilePath: ($file.filePath | v),
      IpAddress: ($ip.ipAddress | v),
      Url: ($url.url | v),
      IoaDefinitionId: ($a.detectorId | v),
      UserName: ($user.userAccount.accountName | v),
      AlertPart: 0,
      FullId: "",
      LastProcessedTimeUtc: ($a.lastActivityDateTime | v),
      ThreatCategory: ($a.mitreTechniques | if type == "array" then joined(", ") else "" end),
      ThreatFamily: ($a.threatFamilyName | v),
      ThreatName: ($a.threatDisplayName | v),
      RemediationAction: ($remediation | v),
      RemediationIsSuccess: ($remediation | remediation_success),
      Source: ($a.detectionSource | source | v),
      Md5: "",
      Sha256: ($file.sha256 | v),
      WasExecutingWhileDetected: (if $proc == null then null else $proc | was_executing end),
      UserDomain: ($user.userAccount.domainName | v),
      LogOnUsers: ($dev.loggedOnUsers
                   | if type == "array" then
                       [.[] | objects | select((.accountName | type) == "string" and .accountName != "")
                        | (if (.domainName | type) == "string" and .domainName != "" then .domainName + "\\" else "" end)
                          + .accountName] | join("; ")
                     else "" end),
      MachineDomain: (if $host != null and ($host | index(".")) then $host[($host | index(".")) + 1:] else "" end),
      MachineName: (if $host != null then $host | split(".")[0] else "" end),
      InternalIPv4List: "", InternalIPv6List: "",
      FileHash: ($hash | v),
      DeviceID: ($device_id | v),
      MachineGroup: ($dev.rbacGroupName | v),
      Description: ($a.description | v),
      DeviceCreatedMachineTags: ($tags | v),
      CloudCreatedMachineTags: ($tags | v),
      CommandLine: ($proc.processCommandLine | v),
      IncidentLinkToWDATP: ($a.incidentWebUrl | v),
      ReportID: 0,
      LinkToMTP: ($a.alertWebUrl | v),
      IncidentLinkToMTP: ($a.incidentWebUrl | v),
      ExternalId: "",
      IocUniqueId: ""
    };

(if type == "object" and has("value") then .value[] elif type == "array" then .[] else . end) | detection
