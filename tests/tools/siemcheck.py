#!/usr/bin/env python3
"""siemcheck.py - an independent checker for mdesiem's CEF and LEEF output.

Written separately from the C code, from docs/formats.md and the spec:

  * parses every line back: CEF header (exactly 7 unescaped pipes, only the
    escapes \\| and \\\\), CEF extension (split before " key=" at each
    unescaped '=', only the escapes \\= \\\\ \\n \\r), LEEF 2.0 header and
    attributes (split on the delimiter, key=value, no duplicate keys);
  * reassembles events split into parts (cs3Label=part / part=k/n);
  * rebuilds, from the input JSON, the exact set of keys and values each
    event must have (its own model of the mapping) and compares.

usage: siemcheck.py cef|leef INPUT OUTPUT [convert options...]
Exit status 0 when every line checks out; otherwise a report on stderr.
"""
import json
import re
import sys

# --------------------------------------------------------------------------
# input

def read_records(path, kind_opt):
    """Yields (kind, record) in the order mdesiem converts them."""
    raw = open(path, 'rb').read()
    if raw.startswith(b'\xef\xbb\xbf'):
        raw = raw[3:]
    text = raw.decode('utf-8', 'surrogateescape')
    dec = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos] in ' \t\r\n':
            pos += 1
        if pos >= len(text):
            return
        value, pos = dec.raw_decode(text, pos)
        for rec, kind in expand(value, kind_opt):
            yield kind, rec


def expand(value, kind_opt):
    if isinstance(value, list):
        return [(r, kind_of(r, kind_opt)) for r in value]
    if isinstance(value.get('value'), list):
        return [(r, kind_of(r, kind_opt)) for r in value['value']]
    if isinstance(value.get('records'), list):
        k = 'stream' if kind_opt == 'auto' else kind_opt
        return [(r, k) for r in value['records']]
    return [(value, kind_of(value, kind_opt))]


def kind_of(rec, kind_opt):
    if kind_opt != 'auto':
        return kind_opt
    for k in rec:
        if k in ('properties', 'category') and 'properties' in rec and 'time' in rec:
            return 'stream'
        if k in ('createdDateTime', '@odata.type', 'alertWebUrl'):
            return 'graph'
        if k in ('alertCreationTime', 'machineId'):
            return 'mde'
        if k.lower() in ('alerttime', 'alerttitle', 'lastprocessedtimeutc'):
            return 'siem'
    return 'graph'

# --------------------------------------------------------------------------
# the model: JSON record -> slots (name -> JSON value; a missing slot is
# absent, None is JSON null)

def nonempty(v):
    return v is not None and v != ''


def as_text(v):
    """The text mdesiem writes for a JSON value."""
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, (int, float)):
        return json.dumps(v)
    if isinstance(v, str):
        return v
    return json.dumps(v, separators=(',', ':'), ensure_ascii=False)


def ieq(v, s):
    return isinstance(v, str) and v.lower() == s.lower()


GRAPH_ALERT = {
    'id': ['AlertId'], 'title': ['AlertTitle'], 'category': ['Category'], 'severity': ['Severity'],
    'createdDateTime': ['AlertTime'], 'lastActivityDateTime': ['LastProcessedTimeUtc'],
    'actorDisplayName': ['Actor'], 'alertWebUrl': ['LinkToWDATP', 'LinkToMTP'],
    'incidentWebUrl': ['IncidentLinkToWDATP', 'IncidentLinkToMTP'], 'detectorId': ['IoaDefinitionId'],
    'mitreTechniques': ['MitreTechniques'], 'threatFamilyName': ['ThreatFamily'],
    'threatDisplayName': ['ThreatName'], 'detectionSource': ['Source'], 'description': ['Description'],
    'status': ['Status'], 'classification': ['Classification'], 'determination': ['Determination'],
    'serviceSource': ['ServiceSource'], 'incidentId': ['IncidentId'], 'lastUpdateDateTime': ['LastUpdateTime'],
    'firstActivityDateTime': ['FirstActivityTime'], 'resolvedDateTime': ['ResolvedTime'],
    'tenantId': ['TenantId'], 'assignedTo': ['AssignedTo'],
}
MDE_ALERT = {
    'id': ['AlertId'], 'title': ['AlertTitle'], 'description': ['Description'], 'severity': ['Severity'],
    'category': ['Category'], 'alertCreationTime': ['AlertTime'], 'lastEventTime': ['LastProcessedTimeUtc'],
    'firstEventTime': ['FirstActivityTime'], 'lastUpdateTime': ['LastUpdateTime'],
    'resolvedTime': ['ResolvedTime'], 'detectionSource': ['Source'], 'detectorId': ['IoaDefinitionId'],
    'threatFamilyName': ['ThreatFamily'], 'threatName': ['ThreatName'], 'mitreTechniques': ['MitreTechniques'],
    'computerDnsName': ['ComputerDnsName'], 'machineId': ['DeviceID'], 'rbacGroupName': ['MachineGroup'],
    'aadTenantId': ['TenantId'], 'incidentId': ['IncidentId'], 'status': ['Status'],
    'classification': ['Classification'], 'determination': ['Determination'], 'assignedTo': ['AssignedTo'],
}
LEGACY50 = ['AlertTime', 'ComputerDnsName', 'AlertTitle', 'Category', 'Severity', 'AlertId', 'Actor',
            'LinkToWDATP', 'IocName', 'IocValue', 'CreatorIocName', 'CreatorIocValue', 'Sha1', 'FileName',
            'FilePath', 'IpAddress', 'Url', 'IoaDefinitionId', 'UserName', 'AlertPart', 'FullId',
            'LastProcessedTimeUtc', 'ThreatCategory', 'ThreatFamily', 'ThreatName', 'RemediationAction',
            'RemediationIsSuccess', 'Source', 'Md5', 'Sha256', 'WasExecutingWhileDetected', 'UserDomain',
            'LogOnUsers', 'MachineDomain', 'MachineName', 'InternalIPv4List', 'InternalIPv6List', 'FileHash',
            'DeviceID', 'MachineGroup', 'Description', 'DeviceCreatedMachineTags', 'CloudCreatedMachineTags',
            'CommandLine', 'IncidentLinkToWDATP', 'ReportID', 'LinkToMTP', 'IncidentLinkToMTP', 'ExternalId',
            'IocUniqueId']

FILE_DETAILS = {'fileName': 'FileName', 'filePath': 'FilePath', 'sha1': 'Sha1', 'sha256': 'Sha256',
                'md5': 'Md5', 'fileSize': 'FileSize'}
GRAPH_TYPES = {'deviceEvidence': 'device', 'fileEvidence': 'file', 'processEvidence': 'process',
               'ipEvidence': 'ip', 'urlEvidence': 'url', 'userEvidence': 'user'}
MDE_TYPES = {'file': 'file', 'process': 'process', 'user': 'user', 'ip': 'ip', 'ipaddress': 'ip', 'url': 'url',
             'machine': 'device', 'device': 'device'}
MDE_EVIDENCE = [  # key, slot, entity types
    ('sha1', 'Sha1', 'fp'), ('sha256', 'Sha256', 'fp'), ('fileName', 'FileName', 'fp'),
    ('filePath', 'FilePath', 'fp'), ('detectionStatus', 'DetectionStatus', 'fp'),
    ('processId', 'ProcessId', 'p'), ('processCommandLine', 'CommandLine', 'p'),
    ('parentProcessId', 'ParentProcessId', 'p'), ('parentProcessFileName', 'ParentProcessName', 'p'),
    ('ipAddress', 'IpAddress', 'i'), ('url', 'Url', 'u'), ('accountName', 'UserName', 'U'),
    ('domainName', 'UserDomain', 'U'), ('userSid', 'UserSid', 'U'), ('userPrincipalName', 'UserPrincipalName', 'U'),
]
TYPE_LETTER = {'file': 'f', 'process': 'p', 'ip': 'i', 'url': 'u', 'user': 'U'}


class Evidence:
    def __init__(self, obj, kind):
        self.obj = obj
        self.type = 'other'
        self.name = 'unknown'
        if kind == 'mde':
            t = obj.get('entityType')
            if isinstance(t, str) and t and '\\' not in t:
                self.name = t
                self.type = MDE_TYPES.get(t.lower(), 'other')
        else:
            t = obj.get('@odata.type')
            if isinstance(t, str) and '\\' not in t:
                p = '#microsoft.graph.security.'
                if len(t) > len(p) and t.startswith(p):
                    t = t[len(p):]
                elif len(t) > 1 and t[0] == '#':
                    t = t[1:]
                self.name = t
                self.type = GRAPH_TYPES.get(t, 'other')
        self.score = 0
        if self.type in ('file', 'process'):
            v = obj.get('verdict')
            self.score += 4 if ieq(v, 'malicious') else 2 if ieq(v, 'suspicious') else 0
            if isinstance(obj.get('detectionStatus'), str) and obj['detectionStatus']:
                self.score += 2
            if any(ieq(obj.get('remediationStatus'), s) for s in ('remediated', 'prevented', 'blocked')):
                self.score += 1


def put(slots, names, obj, key):
    if isinstance(obj, dict) and key in obj:
        for n in names:
            slots[n] = obj[key]


def apply_device(s, o):
    for k, n in (('deviceDnsName', 'ComputerDnsName'), ('mdeDeviceId', 'DeviceID'),
                 ('rbacGroupName', 'MachineGroup'), ('osPlatform', 'OsPlatform')):
        put(s, [n], o, k)
    users = o.get('loggedOnUsers')
    if isinstance(users, list):
        parts = []
        for u in users:
            acc, dom = u.get('accountName') if isinstance(u, dict) else None, u.get('domainName') if isinstance(u, dict) else None
            if isinstance(acc, str) and acc:
                parts.append((dom + '\\' if isinstance(dom, str) and dom else '') + acc)
        s['LogOnUsers'] = '; '.join(parts)
    tags = o.get('tags')
    if isinstance(tags, list):
        s['DeviceCreatedMachineTags'] = s['CloudCreatedMachineTags'] = ', '.join(t for t in tags if isinstance(t, str))


def apply_user_account(s, o):
    ua = o.get('userAccount')
    for k, n in (('accountName', 'UserName'), ('domainName', 'UserDomain'), ('userSid', 'UserSid'),
                 ('userPrincipalName', 'UserPrincipalName')):
        put(s, [n], ua, k)


def apply_main(s, e, kind):
    o = e.obj
    if kind == 'mde':
        for k, n, types in MDE_EVIDENCE:
            if 'f' in types or ('p' in types and e.type == 'process'):
                put(s, [n], o, k)
        return
    det = o.get('fileDetails' if e.type == 'file' else 'imageFile')
    for k, n in FILE_DETAILS.items():
        put(s, [n], det, k)
    for k, n in (('detectionStatus', 'DetectionStatus'), ('remediationStatus', 'RemediationAction'),
                 ('verdict', 'Verdict')):
        put(s, [n], o, k)
    dev = o.get('mdeDeviceId')
    if not nonempty(s.get('DeviceID')) and isinstance(dev, str) and dev:
        s['DeviceID'] = dev


def was_executing(s, o):
    st = o.get('detectionStatus')
    if ieq(st, 'detected'):
        s['WasExecutingWhileDetected'] = True
    elif ieq(st, 'blocked') or ieq(st, 'prevented'):
        s['WasExecutingWhileDetected'] = False


def apply_process(s, e, kind):
    o = e.obj
    if kind == 'mde':
        for k, n in (('processId', 'ProcessId'), ('processCommandLine', 'CommandLine'),
                     ('parentProcessId', 'ParentProcessId'), ('parentProcessFileName', 'ParentProcessName'),
                     ('fileName', 'ProcessName')):
            put(s, [n], o, k)
    else:
        for k, n in (('processCommandLine', 'CommandLine'), ('processId', 'ProcessId'),
                     ('parentProcessId', 'ParentProcessId')):
            put(s, [n], o, k)
        img, par = o.get('imageFile'), o.get('parentProcessImageFile')
        if isinstance(img, dict) and 'fileName' in img:
            s['ProcessName'] = img['fileName']
        if isinstance(par, dict) and 'fileName' in par:
            s['ParentProcessName'] = par['fileName']
    was_executing(s, o)


def apply_context(s, e, kind):
    o = e.obj
    if kind == 'mde':
        letter = TYPE_LETTER.get(e.type)
        for k, n, types in MDE_EVIDENCE:
            if letter and letter in types:
                put(s, [n], o, k)
        return
    if e.type == 'device':
        apply_device(s, o)
    elif e.type == 'ip':
        put(s, ['IpAddress'], o, 'ipAddress')
    elif e.type == 'url':
        put(s, ['Url'], o, 'url')
    elif e.type == 'user':
        apply_user_account(s, o)


SEVERITIES = {'informational': 'Informational', 'low': 'Low', 'medium': 'Medium', 'high': 'High',
              'unknown': 'UnSpecified', 'unspecified': 'UnSpecified', 'unknownfuturevalue': 'UnSpecified'}
SOURCES = {'microsoftdefenderforendpoint': 'EDR', 'windowsdefenderatp': 'EDR', 'antivirus': 'Antivirus',
           'windowsdefenderav': 'Antivirus'}
TECHNIQUE = re.compile(r'(?<![A-Za-z0-9])T\d{4}(?:\.\d+)?(?![A-Za-z0-9])')


def capitalise(s, name):
    v = s.get(name)
    if isinstance(v, str) and v and v[0].islower() and v[0].isascii():
        s[name] = v[0].upper() + v[1:]


def derive(s, kind):
    dns = s.get('ComputerDnsName')
    if isinstance(dns, str) and dns and not nonempty(s.get('MachineName')):
        host, dot, dom = dns.partition('.')
        s['MachineName'] = host
        if dot and not nonempty(s.get('MachineDomain')):
            s['MachineDomain'] = dom
    if kind != 'siem' and not nonempty(s.get('FileHash')):
        s['FileHash'] = s.get('Sha1') if nonempty(s.get('Sha1')) else s.get('Sha256')
        if s['FileHash'] is None and 'Sha1' not in s and 'Sha256' not in s:
            del s['FileHash']
    if kind in ('graph', 'mde'):
        if isinstance(s.get('MitreTechniques'), list):
            s['ThreatCategory'] = ', '.join(t for t in s['MitreTechniques'] if isinstance(t, str))
        capitalise(s, 'Category')
        src = s.get('Source')
        if isinstance(src, str) and src.lower() in SOURCES:
            s['Source'] = SOURCES[src.lower()]
        capitalise(s, 'Source')
        if kind == 'graph' and 'RemediationIsSuccess' not in s:
            ra = s.get('RemediationAction')
            if any(ieq(ra, x) for x in ('remediated', 'prevented', 'blocked')):
                s['RemediationIsSuccess'] = True
            elif any(ieq(ra, x) for x in ('unremediated', 'declined', 'partiallyRemediated')):
                s['RemediationIsSuccess'] = False
    if kind == 'stream':
        tc = s.get('ThreatCategory')
        ids = TECHNIQUE.findall(tc) if isinstance(tc, str) else []
        if ids:
            s['MitreTechniques'] = ids
            s['ThreatCategory'] = ', '.join(ids)
        if not nonempty(s.get('Category')) and 'Table' in s:
            s['Category'] = s['Table']
        if not nonempty(s.get('AlertTitle')):
            s['AlertTitle'] = s['ActionType'] if nonempty(s.get('ActionType')) else s.get('Table')
    sev = s.get('Severity')
    if isinstance(sev, str) and sev.lower() in SEVERITIES:
        s['Severity'] = SEVERITIES[sev.lower()]


STREAM_TABLES = {  # alert, process, logon, network
    'AlertInfo': (1, 0, 0, 0), 'AlertEvidence': (1, 0, 0, 0), 'DeviceProcessEvents': (0, 1, 0, 0),
    'DeviceNetworkEvents': (0, 0, 0, 1), 'DeviceFileEvents': (0, 0, 0, 0), 'DeviceLogonEvents': (0, 0, 1, 0),
    'DeviceRegistryEvents': (0, 0, 0, 0)}
STREAM_COLUMNS = [  # column, mode, slots
    ('Timestamp', 'all', ['AlertTime']), ('AlertId', 'all', ['AlertId']), ('Title', 'all', ['AlertTitle']),
    ('Category', 'all', ['Category']), ('Severity', 'all', ['Severity']), ('DetectionSource', 'all', ['Source']),
    ('ServiceSource', 'all', ['ServiceSource']), ('AttackTechniques', 'all', ['ThreatCategory']),
    ('EntityType', 'all', ['EvidenceType']), ('EvidenceRole', 'all', ['EvidenceRole']),
    ('ThreatFamily', 'all', ['ThreatFamily']), ('FileName', 'proc', ['FileName', 'ProcessName']),
    ('FileName', 'all', ['FileName']), ('FolderPath', 'all', ['FilePath']), ('SHA1', 'all', ['Sha1']),
    ('SHA256', 'all', ['Sha256']), ('MD5', 'all', ['Md5']), ('FileSize', 'all', ['FileSize']),
    ('RemoteIP', 'alert', ['IpAddress']), ('RemoteIP', 'logon', ['IpAddress']), ('RemoteIP', 'event', ['RemoteIp']),
    ('LocalIP', 'event', ['LocalIp']), ('RemotePort', 'logon', ['LocalPort']), ('RemotePort', 'event', ['RemotePort']),
    ('LocalPort', 'event', ['LocalPort']), ('Protocol', 'net', ['Protocol']), ('RemoteUrl', 'all', ['Url']), ('AccountName', 'all', ['UserName']),
    ('AccountDomain', 'all', ['UserDomain']), ('AccountSid', 'all', ['UserSid']),
    ('AccountUpn', 'all', ['UserPrincipalName']), ('DeviceId', 'all', ['DeviceID']),
    ('DeviceName', 'all', ['ComputerDnsName']), ('ProcessCommandLine', 'all', ['CommandLine']),
    ('ProcessId', 'all', ['ProcessId']), ('InitiatingProcessFileName', 'proc', ['ParentProcessName']),
    ('InitiatingProcessId', 'proc', ['ParentProcessId']),
    ('InitiatingProcessCommandLine', 'proc', ['ParentProcessCommandLine']),
    ('InitiatingProcessFileName', 'nonproc', ['ProcessName']), ('InitiatingProcessId', 'nonproc', ['ProcessId']),
    ('InitiatingProcessCommandLine', 'nonproc', ['CommandLine']), ('ReportId', 'all', ['ReportID']),
    ('MachineGroup', 'all', ['MachineGroup']), ('ActionType', 'all', ['ActionType']),
]


def stream_slots(rec):
    s = {}
    alert, proc, logon, net = 0, 0, 0, 0
    for k, v in rec.items():
        if k == 'time':
            s['ReceivedTime'] = v
        elif k == 'tenantId':
            s['TenantId'] = v
        elif k == 'category' and isinstance(v, str):
            p = 'AdvancedHunting-'
            s['Table'] = v[len(p):] if len(v) > len(p) and v.startswith(p) else v
            alert, proc, logon, net = STREAM_TABLES.get(s['Table'], (0, 0, 0, 0))
    props = rec.get('properties')
    applies = {'all': 1, 'alert': alert, 'event': not alert and not logon, 'logon': logon, 'net': net,
               'proc': proc, 'nonproc': not alert and not proc}
    if isinstance(props, dict):
        for k, v in props.items():
            for col, mode, names in STREAM_COLUMNS:
                if col == k and applies[mode]:
                    for n in names:
                        s[n] = v
                    break
    return s, bool(alert)


def siem_slots(rec):
    s = {}
    lower = {n.lower(): n for n in LEGACY50}
    for k, v in rec.items():
        n = lower.get(k.lower())
        if n:
            s[n] = v
        elif k.lower() == 'threatfamilyname' and 'ThreatFamily' not in s:
            s['ThreatFamily'] = v
    return s


CHILD_IDENTITY = ['AlertTime', 'AlertTitle', 'Category', 'Severity', 'AlertId', 'IoaDefinitionId', 'LinkToWDATP',
                  'LinkToMTP', 'LastUpdateTime', 'TenantId', 'ComputerDnsName', 'DeviceID', 'Source',
                  'LastProcessedTimeUtc']


def events(rec, kind, split):
    """Yields (slots, child, is_alert, kind) for each event of a record."""
    if kind == 'stream':
        s, alert = stream_slots(rec)
        derive(s, kind)
        yield s, None, alert, kind
        return
    if kind == 'siem':
        s = siem_slots(rec)
        derive(s, kind)
        yield s, None, True, kind
        return
    base = {}
    table = MDE_ALERT if kind == 'mde' else GRAPH_ALERT
    for k, v in rec.items():
        if k in table:
            for n in table[k]:
                base[n] = v
        elif kind == 'mde' and k == 'relatedUser' and isinstance(v, dict):
            put(base, ['UserName'], v, 'userName')
            put(base, ['UserDomain'], v, 'domainName')
    items = rec.get('evidence') if isinstance(rec.get('evidence'), list) else []
    ev = [Evidence(o, kind) for o in items if isinstance(o, dict)]
    positions = [i for i, o in enumerate(items) if isinstance(o, dict)]
    s = dict(base)
    for t in ('device', 'ip', 'url', 'user'):
        first = next((e for e in ev if e.type == t), None)
        if first:
            apply_context(s, first, kind)
    mains = [e for e in ev if e.type in ('file', 'process')]
    main = max(mains, key=lambda e: e.score, default=None) if mains else None
    if main:  # max() keeps the first of equal scores
        main = next(e for e in mains if e.score == main.score)
    procs = [e for e in ev if e.type == 'process']
    proc = main if main and main.type == 'process' else (
        next(e for e in procs if e.score == max(p.score for p in procs)) if procs else None)
    if main:
        apply_main(s, main, kind)
    if proc:
        apply_process(s, proc, kind)
    derive(s, kind)
    yield s, None, True, kind
    if not split:
        return
    for i, e in zip(positions, ev):
        c = {n: base[n] for n in CHILD_IDENTITY if n in base}
        if e.type in ('file', 'process'):
            apply_main(c, e, kind)
            if e.type == 'process':
                apply_process(c, e, kind)
        else:
            apply_context(c, e, kind)
            if kind == 'graph':
                for k, n in (('detectionStatus', 'DetectionStatus'), ('remediationStatus', 'RemediationAction'),
                             ('verdict', 'Verdict')):
                    put(c, [n], e.obj, k)
        c['EvidenceType'] = e.name
        c['EvidenceIndex'] = i
        derive(c, kind)
        yield c, (i, e), True, kind

# --------------------------------------------------------------------------
# values as the formats write them

TIME = re.compile(r'^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:?\d{2})?$')
MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def ticks(v):
    if not isinstance(v, str):
        return None
    m = TIME.match(v)
    if not m:
        return None
    y, mo, d, h, mi, sec = (int(m.group(i)) for i in range(1, 7))
    if not (1 <= mo <= 12 and 1 <= d <= MONTH_DAYS[mo - 1] and h <= 23 and mi <= 59 and sec <= 60):
        return None
    frac = int((m.group(7) or '0')[:7].ljust(7, '0'))
    off = 0
    z = m.group(8)
    if z and z not in 'Zz':
        sign = -1 if z[0] == '-' else 1
        zz = z[1:].replace(':', '')
        if int(zz[:2]) > 23 or int(zz[2:]) > 59:
            return None
        off = sign * (int(zz[:2]) * 3600 + int(zz[2:]) * 60)
    import calendar
    try:
        days = calendar.timegm((y, mo, d, 0, 0, 0)) // 86400
    except (ValueError, OverflowError):
        return None
    return (days * 86400 + h * 3600 + mi * 60 + sec - off) * 10**7 + frac


def is_int(v):
    if isinstance(v, bool) or v is None:
        return False
    t = as_text(v) if isinstance(v, (int, str)) else None
    return t is not None and re.fullmatch(r'-?\d{1,18}', t) is not None


def repair(s):
    """Invalid UTF-8 bytes (surrogate-escaped by the reader) as Latin-1."""
    return ''.join(chr(ord(c) - 0xDC00) if 0xDC80 <= ord(c) <= 0xDCFF else c for c in s)


def controls_to_space(s, keep=''):
    return ''.join(' ' if (ord(c) < 0x20 or ord(c) == 0x7F) and c not in keep else c for c in s)


SEV_BUCKET = {'informational': 1, 'low': 2, 'medium': 3, 'high': 4}
CEF_SEV = [0, 1, 3, 6, 9]
LEEF_SEV = [1, 1, 3, 6, 9]


def bucket(s):
    v = s.get('Severity')
    return SEV_BUCKET.get(v.lower(), 0) if isinstance(v, str) else 0


def event_class(s, child, kind):
    if child:
        return 'evidence:' + child[1].name
    if kind == 'stream' and nonempty(s.get('Table')):
        return as_text(s['Table'])
    if kind != 'stream' and nonempty(s.get('IoaDefinitionId')):
        return as_text(s['IoaDefinitionId'])
    if nonempty(s.get('Category')):
        return as_text(s['Category'])
    return 'alert'


def event_name(s, child, kind):
    for n in ('AlertTitle', 'ActionType'):
        if nonempty(s.get(n)):
            return as_text(s[n])
    return event_class(s, child, kind)

# CEF: (slot, key, label, type); type t=time b=bool i=int s=string
CEF_FIELDS = [
    ('AlertTime', 'rt', None, 't'), ('FirstActivityTime', 'start', None, 't'),
    ('LastProcessedTimeUtc', 'end', None, 't'), ('Category', 'cat', None, 's'),
    ('RemediationAction', 'act', None, 's'), ('ActionType', 'act', None, 's'), ('AlertId', 'externalId', None, 's'),
    ('Description', 'msg', None, 's'), ('Source', 'sourceServiceName', None, 's'),
    ('ComputerDnsName', 'dvchost', None, 's'), ('MachineName', 'shost', None, 's'),
    ('MachineDomain', 'sourceDnsDomain', None, 's'), ('DeviceID', 'deviceExternalId', None, 's'),
    ('LogOnUsers', 'suid', None, 's'), ('UserName', 'suser', None, 's'), ('UserDomain', 'sntdom', None, 's'),
    ('IpAddress', 'src', None, 's'), ('LocalIp', 'src', None, 's'), ('LocalPort', 'spt', None, 'i'),
    ('RemoteIp', 'dst', None, 's'), ('RemotePort', 'dpt', None, 'i'), ('Protocol', 'proto', None, 's'),
    ('Url', 'request', None, 's'), ('FileName', 'fname', None, 's'), ('FilePath', 'filePath', None, 's'),
    ('Sha1', 'fileHash', None, 's'), ('FileSize', 'fsize', None, 'i'), ('ProcessId', 'spid', None, 'i'),
    ('ThreatName', 'cs1', 'ThreatName', 's'), ('CommandLine', 'cs2', 'CommandLine', 's'),
    ('Actor', 'cs4', 'Actor', 's'), ('Md5', 'cs5', 'Md5', 's'), ('Sha256', 'cs6', 'Sha256', 's'),
    ('WasExecutingWhileDetected', 'cn1', 'WasExecutingWhileDetected', 'b'),
    ('RemediationIsSuccess', 'cn2', 'RemediationIsSuccess', 'b'), ('IncidentId', 'cn3', 'IncidentId', 'i'),
    ('ReportID', 'cn3', 'ReportId', 'i'), ('EvidenceIndex', 'cn3', 'EvidenceIndex', 'i'),
    ('LinkToWDATP', 'flexString1', 'LinkToWDATP', 's'), ('ThreatCategory', 'flexString2', 'ThreatCategory', 's'),
    ('LastUpdateTime', 'deviceCustomDate1', 'LastUpdateTime', 't'),
]


def cef_value(v, typ):
    if typ == 't':
        t = ticks(v)
        return None if t is None else str(t // 10000)
    if typ == 'b':
        t = as_text(v) if isinstance(v, (bool, str)) else ''
        return {'true': '1', 'false': '0'}.get(t.lower())
    if typ == 'i':
        return as_text(v) if is_int(v) else None
    if not nonempty(v):
        return None
    return controls_to_space(repair(as_text(v)), '\t\n\r')


def cef_expected(s, child, kind):
    head = ['0', 'Microsoft', 'Microsoft Defender ATP', '2.0',
            controls_to_space(repair(event_class(s, child, kind))),
            controls_to_space(repair(event_name(s, child, kind))), str(CEF_SEV[bucket(s)])]
    ext = {}
    for slot, key, label, typ in CEF_FIELDS:
        if key in ext or slot not in s:
            continue
        v = cef_value(s[slot], typ)
        if v is None:
            continue
        ext[key] = v
        if label:
            ext[key + 'Label'] = label
    return head, ext


LEEF_FIELDS = [('Category', 'cat'), ('AlertId', 'externalId'), ('DeviceID', 'DeviceID'),
               ('ComputerDnsName', 'identHostName'), ('IpAddress', 'src'), ('LocalIp', 'src'),
               ('LocalPort', 'srcPort'), ('RemoteIp', 'dst'), ('RemotePort', 'dstPort'), ('Protocol', 'proto'),
               ('UserName', 'usrName'), ('LinkToWDATP', 'url'), ('Url', 'requestUrl')] + [(n, n) for n in (
    'ActionType Description Status Classification Determination Source ServiceSource IoaDefinitionId IncidentId '
    'IncidentLinkToMTP Actor ThreatCategory ThreatFamily ThreatName LastProcessedTimeUtc LastUpdateTime '
    'FirstActivityTime ResolvedTime ReceivedTime TenantId AssignedTo MachineName MachineDomain MachineGroup '
    'LogOnUsers DeviceCreatedMachineTags CloudCreatedMachineTags OsPlatform UserDomain UserSid UserPrincipalName '
    'FileName FilePath FileSize Sha1 Sha256 Md5 ProcessName ProcessId CommandLine ParentProcessName '
    'ParentProcessId ParentProcessCommandLine DetectionStatus WasExecutingWhileDetected RemediationAction '
    'RemediationIsSuccess Verdict EvidenceType EvidenceIndex EvidenceRole ReportID InternalIPv4List '
    'InternalIPv6List IocName IocValue CreatorIocName CreatorIocValue FullId IocUniqueId ExternalId').split()]
LEEF_INT = {'srcPort', 'dstPort'}


def leef_text(v, delim):
    rep = '_' if delim == ' ' else ' '
    return ''.join(rep if c == delim or ord(c) < 0x20 or ord(c) == 0x7F else c for c in repair(as_text(v)))


def leef_expected(s, child, kind, delim):
    name = event_class(s, child, kind) if child else event_name(s, child, kind)
    eid = controls_to_space(repair(name)).replace('|', '\u00a6')
    attrs = {}
    t = ticks(s.get('AlertTime'))
    if t is not None:
        import datetime
        secs, frac = divmod(t, 10**7)
        dt = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=secs)
        attrs['devTime'] = dt.strftime('%Y-%m-%dT%H:%M:%S') + '.%03d+0000' % (frac // 10**4)
        attrs['devTimeFormat'] = "yyyy-MM-dd'T'HH:mm:ss.SSSZ"
    attrs['sev'] = str(LEEF_SEV[bucket(s)])
    for slot, key in LEEF_FIELDS:
        if key in attrs or not nonempty(s.get(slot)):
            continue
        if key in LEEF_INT and not is_int(s[slot]):
            continue
        attrs[key] = leef_text(s[slot], delim)
    return eid, attrs

# --------------------------------------------------------------------------
# parsing the output


class Bad(Exception):
    pass


def parse_cef(line):
    if not line.startswith('CEF:'):
        raise Bad('does not start with CEF:')
    fields, cur, i = [], [], 0
    while len(fields) < 7:
        if i >= len(line):
            raise Bad('header has fewer than 7 unescaped pipes')
        c = line[i]
        if c == '\\':
            if i + 1 >= len(line) or line[i + 1] not in '|\\':
                raise Bad('invalid header escape at %d' % i)
            cur.append(line[i + 1])
            i += 2
            continue
        if c == '|':
            fields.append(''.join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    fields[0] = fields[0][4:]
    if not re.fullmatch(r'\d|10', fields[6]):
        raise Bad('severity %r is not 0-10' % fields[6])
    return fields, parse_extension(line[i:])


def parse_extension(ext):
    # positions of unescaped '='
    eqs, i = [], 0
    while i < len(ext):
        if ext[i] == '\\':
            if i + 1 >= len(ext) or ext[i + 1] not in '=\\nr':
                raise Bad('invalid extension escape %r' % ext[i:i + 2])
            i += 2
            continue
        if ext[i] == '=':
            eqs.append(i)
        i += 1
    out, order = {}, []
    for n, e in enumerate(eqs):
        m = re.search(r'(?:^| )([A-Za-z0-9]+)$', ext[:e])
        if not m:
            raise Bad('unescaped "=" not preceded by a key at %d' % e)
        key, kstart = m.group(1), m.start(1)
        if n > 0:
            prev_key, prev_e = order[-1]
            if kstart == 0 or ext[kstart - 1] != ' ':
                raise Bad('no space before key %s' % key)
            out[prev_key] = ext[prev_e + 1:kstart - 1]
        elif kstart != 0:
            raise Bad('text before the first key')
        if key in out or any(k == key for k, _ in order):
            raise Bad('duplicate key %s' % key)
        order.append((key, e))
    if order:
        out[order[-1][0]] = ext[order[-1][1] + 1:]
    return {k: unescape_cef(v) for k, v in out.items()}, [k for k, _ in order]


def unescape_cef(v):
    return re.sub(r'\\(.)', lambda m: {'n': '\n', 'r': '\r'}.get(m.group(1), m.group(1)), v)


def parse_leef(line, delim):
    if not line.startswith('LEEF:2.0|'):
        raise Bad('does not start with LEEF:2.0|')
    parts = line.split('|', 6)
    if len(parts) != 7:
        raise Bad('LEEF header has fewer than 6 pipes')
    spelled = parts[5]
    want = delim if 0x20 < ord(delim) < 0x7F else 'x%02x' % ord(delim)
    if spelled != want:
        raise Bad('delimiter spelled %r, expected %r' % (spelled, want))
    attrs, order = {}, []
    for a in parts[6].split(delim) if parts[6] else []:
        key, eq, val = a.partition('=')
        if not eq or not key or ' ' in key:
            raise Bad('attribute %r is not key=value' % a)
        if key in attrs:
            raise Bad('duplicate attribute %s' % key)
        if '\r' in val or '\n' in val:
            raise Bad('CR/LF in attribute %s' % key)
        attrs[key] = val
        order.append(key)
    return parts[4], attrs, order

# --------------------------------------------------------------------------
# parts


def merge_parts(events, marker_keys, core):
    """events: list of (head, dict). Joins runs of parts into one event."""
    out, i = [], 0
    while i < len(events):
        head, d = events[i]
        mk = d.get(marker_keys[1])
        if mk is None:
            out.append((head, d))
            i += 1
            continue
        k, n = (int(x) for x in mk.split('/'))
        if k != 1 or i + n > len(events):
            raise Bad('part %s does not start a complete run' % mk)
        merged = {}
        for j in range(n):
            h2, d2 = events[i + j]
            if h2 != head or d2.get(marker_keys[1]) != '%d/%d' % (j + 1, n):
                raise Bad('part %d/%d out of order or with another header' % (j + 1, n))
            for key, v in d2.items():
                if key in marker_keys:
                    continue
                if (key in core or key.endswith('Label')) and key in merged:
                    if merged.get(key) != v:
                        raise Bad('%s differs between parts' % key)
                    continue
                merged[key] = merged.get(key, '') + v
        out.append((head, merged))
        i += n
    return out

# --------------------------------------------------------------------------


def diff(a, b):
    lines = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            lines.append('   %s: got %r, want %r' % (k, (a.get(k) or '')[:120] if k in a else '<absent>',
                                                    (b.get(k) or '')[:120] if k in b else '<absent>'))
    return '\n'.join(lines)


def main(argv):
    if len(argv) < 4 or argv[1] not in ('cef', 'leef'):
        sys.exit(__doc__)
    fmt, inp, outp, opts = argv[1], argv[2], argv[3], argv[4:]
    kind_opt, split, delim = 'auto', False, '\t'
    for i, o in enumerate(opts):
        val = o.split('=', 1)[1] if '=' in o else (opts[i + 1] if i + 1 < len(opts) else '')
        if o.startswith('--from'):
            kind_opt = val
        elif o.startswith('--evidence'):
            split = val == 'split'
        elif o.startswith('--leef-delimiter'):
            delim = val if len(val) == 1 else '\t' if val in ('\\t', 'tab') else chr(int(val.lstrip('0x').lstrip('x'), 16))
    expected = []
    for kind, rec in read_records(inp, kind_opt):
        for s, child, alert, k in events(rec, kind, split):
            expected.append(cef_expected(s, child, k) if fmt == 'cef' else leef_expected(s, child, k, delim))
    got = []
    errors = 0
    with open(outp, 'rb') as f:
        for n, raw in enumerate(f.read().split(b'\n')[:-1], 1):
            line = raw.decode('utf-8')  # must be valid UTF-8
            try:
                if fmt == 'cef':
                    head, (ext, _) = parse_cef(line)
                    got.append((head, ext))
                else:
                    eid, attrs, _ = parse_leef(line, delim)
                    got.append((eid, attrs))
            except Bad as e:
                print('line %d: %s\n  %s' % (n, e, line[:200]), file=sys.stderr)
                errors += 1
    if errors:
        return 1
    if fmt == 'cef':
        got = merge_parts(got, ('cs3Label', 'cs3'), ('rt', 'externalId', 'deviceExternalId'))
    else:
        got = merge_parts(got, ('', 'part'), ('devTime', 'devTimeFormat', 'sev', 'cat', 'externalId', 'DeviceID'))
    if len(got) != len(expected):
        print('%d events, expected %d' % (len(got), len(expected)), file=sys.stderr)
        return 1
    for i, ((gh, gd), (eh, ed)) in enumerate(zip(got, expected), 1):
        if gh != eh or gd != ed:
            print('event %d differs:\n  header got  %r\n  header want %r\n%s' % (i, gh, eh, diff(gd, ed)),
                  file=sys.stderr)
            errors += 1
    if errors:
        return 1
    print('%s: %d events checked' % (fmt, len(got)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
