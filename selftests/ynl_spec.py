#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""ynl_spec.py: compare a YNL spec with what the kernel says of its family.

  ynl_spec.py schema SPEC SCHEMA
      validate SPEC against the kernel's genetlink schema (jsonschema)
  ynl_spec.py extract TARBALL DEST MEMBER|DIR/...
      extract members (or directories, with a trailing /) of a multi-block
      xz tarball of a name-sorted tar, decompressing only their blocks
  ynl_spec.py check SPEC [--hand-parsed OP:ATTR]...
      dump the family's policies through nlctrl (CTRL_CMD_GETPOLICY, for the
      whole family and for each op) and its ops, flags and groups
      (CTRL_CMD_GETFAMILY) and compare them with SPEC

What "match" means, attribute by attribute (the policy the spec implies, as
the kernel's policy dump shows it):
  - an op's policy (kernel-policy per-op: the same for do and dump) accepts
    exactly the attributes its do request lists (split: each mode its own);
    any other attribute of the set is absent from the dump (NLA_REJECT,
    NLA_UNSPEC: refused);
  - inside a nest, a set S accepts the attributes of the subset S-request if
    the spec has one (the others are read-only), else all but pad/unused;
  - u8/u16/u32/u64: that type and its range, checks min/max or the type's
    own bounds; s8..s64 likewise; flag; string; binary with exact-len, or
    min-len and max-len, as a length range, max-len alone as the max;
  - nest: nested, with a nested policy whose maxtype is the nested set's
    highest attribute value, compared recursively;
  - --hand-parsed OP:ATTR: a nest the kernel declares without a nested
    policy (it parses the content itself): nested, no policy index.
The kernel's dump does not show NLA_BE16/NLA_BE32 (byte-order big-endian)
nor a binary's min-len alone (NLA_VALIDATE_MIN): such expectations are
"absent" or "no length" and are printed as notes (not checkable here).

Output: "ok ...", "note ...", "MISMATCH ..." lines; exit 1 on a mismatch.
Needs only python3 and PyYAML (python3-yaml); schema needs jsonschema.
"""

import os
import socket
import struct
import sys

import yaml

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
CTRL_CMD_GETFAMILY, CTRL_CMD_GETPOLICY = 3, 10
(CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_VERSION,
 CTRL_ATTR_HDRSIZE, CTRL_ATTR_MAXATTR, CTRL_ATTR_OPS, CTRL_ATTR_MCAST_GROUPS,
 CTRL_ATTR_POLICY, CTRL_ATTR_OP_POLICY, CTRL_ATTR_OP) = range(1, 11)
CTRL_ATTR_OP_ID, CTRL_ATTR_OP_FLAGS = 1, 2
CTRL_ATTR_MCAST_GRP_NAME = 1
CTRL_ATTR_POLICY_DO, CTRL_ATTR_POLICY_DUMP = 1, 2
GENL_ADMIN_PERM, GENL_CMD_CAP_DO, GENL_CMD_CAP_DUMP = 0x01, 0x02, 0x04
GENL_CMD_CAP_HASPOL, GENL_UNS_ADMIN_PERM = 0x08, 0x10

NL_ATTR_TYPES = ['invalid', 'flag', 'u8', 'u16', 'u32', 'u64', 's8', 's16',
                 's32', 's64', 'binary', 'string', 'nul-string', 'nested',
                 'nested-array', 'bitfield32', 'sint', 'uint']
(PT_TYPE, PT_MIN_S, PT_MAX_S, PT_MIN_U, PT_MAX_U, PT_MIN_LEN, PT_MAX_LEN,
 PT_POLICY_IDX, PT_POLICY_MAXTYPE, PT_BITFIELD32_MASK, PT_PAD,
 PT_MASK) = range(1, 13)
PT_NAMES = {PT_MIN_S: 'min', PT_MAX_S: 'max', PT_MIN_U: 'min',
            PT_MAX_U: 'max', PT_MIN_LEN: 'min-len', PT_MAX_LEN: 'max-len',
            PT_POLICY_IDX: 'policy', PT_POLICY_MAXTYPE: 'maxtype',
            PT_BITFIELD32_MASK: 'bitfield32-mask', PT_MASK: 'mask'}
INT_BITS = {'u8': 8, 'u16': 16, 'u32': 32, 'u64': 64,
            's8': 8, 's16': 16, 's32': 32, 's64': 64, 'uint': 64, 'sint': 64}

# ------------------------------------------------------------ netlink


def attrs(buf):
    """{type: [payload, ...]} of the attributes in buf (flags masked)."""
    out = {}
    off = 0
    while off + 4 <= len(buf):
        ln, typ = struct.unpack_from('HH', buf, off)
        if ln < 4:
            break
        out.setdefault(typ & 0x3fff, []).append(buf[off + 4:off + ln])
        off += (ln + 3) & ~3
    return out


def one(a, t):
    return a[t][0] if t in a else None


def u(b):
    return struct.unpack({1: 'B', 2: 'H', 4: 'I', 8: 'Q'}[len(b)], b)[0]


def s(b):
    return struct.unpack({1: 'b', 2: 'h', 4: 'i', 8: 'q'}[len(b)], b)[0]


def nla(typ, payload):
    return struct.pack('HH', 4 + len(payload), typ) + payload + \
        b'\0' * ((4 - len(payload) % 4) % 4)


class Ctrl:
    def __init__(self):
        self.sk = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                NETLINK_GENERIC)
        self.sk.bind((0, 0))
        self.seq = 0

    def request(self, cmd, payload, dump):
        """The genl payloads of the replies; raises OSError on an error."""
        self.seq += 1
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if dump else 0)
        msg = struct.pack('BBH', cmd, 1, 0) + payload
        self.sk.send(struct.pack('IHHII', 16 + len(msg), GENL_ID_CTRL,
                                 flags, self.seq, 0) + msg)
        out = []
        while True:
            data = self.sk.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                ln, typ, _, seq, _ = struct.unpack_from('IHHII', data, off)
                body = data[off + 16:off + ln]
                off += (ln + 3) & ~3
                if seq != self.seq:
                    continue
                if typ == NLMSG_DONE:
                    return out
                if typ == NLMSG_ERROR:
                    err = s(body[:4])
                    if err:
                        raise OSError(-err, os.strerror(-err))
                    if not dump:
                        return out
                    continue
                out.append(body[4:])

    def family(self, name):
        payload = nla(CTRL_ATTR_FAMILY_NAME, name.encode() + b'\0')
        a = attrs(self.request(CTRL_CMD_GETFAMILY, payload, False)[0])
        fam = {'id': u(one(a, CTRL_ATTR_FAMILY_ID)),
               'version': u(one(a, CTRL_ATTR_VERSION)),
               'maxattr': u(one(a, CTRL_ATTR_MAXATTR)), 'ops': {},
               'mcgrps': []}
        for op in attrs(one(a, CTRL_ATTR_OPS) or b'').values():
            o = attrs(op[0])
            fam['ops'][u(one(o, CTRL_ATTR_OP_ID))] = \
                u(one(o, CTRL_ATTR_OP_FLAGS))
        for g in attrs(one(a, CTRL_ATTR_MCAST_GROUPS) or b'').values():
            fam['mcgrps'].append(
                one(attrs(g[0]), CTRL_ATTR_MCAST_GRP_NAME)[:-1].decode())
        return fam

    def policy(self, name, op=None):
        """({cmd: {'do': idx, 'dump': idx}}, {idx: {attr: {prop: val}}})"""
        payload = nla(CTRL_ATTR_FAMILY_NAME, name.encode() + b'\0')
        if op is not None:
            payload += nla(CTRL_ATTR_OP, struct.pack('I', op))
        opmap, pols = {}, {}
        for body in self.request(CTRL_CMD_GETPOLICY, payload, True):
            a = attrs(body)
            if CTRL_ATTR_OP_POLICY in a:
                for cmd, v in attrs(a[CTRL_ATTR_OP_POLICY][0]).items():
                    m = attrs(v[0])
                    ent = opmap.setdefault(cmd, {})
                    if CTRL_ATTR_POLICY_DO in m:
                        ent['do'] = u(m[CTRL_ATTR_POLICY_DO][0])
                    if CTRL_ATTR_POLICY_DUMP in m:
                        ent['dump'] = u(m[CTRL_ATTR_POLICY_DUMP][0])
            if CTRL_ATTR_POLICY in a:
                for idx, v in attrs(a[CTRL_ATTR_POLICY][0]).items():
                    pol = pols.setdefault(idx, {})
                    for at, w in attrs(v[0]).items():
                        p = attrs(w[0])
                        d = {'type': NL_ATTR_TYPES[u(p[PT_TYPE][0])]}
                        for k, name_ in PT_NAMES.items():
                            if k in p:
                                d[name_] = (s if k in (PT_MIN_S, PT_MAX_S)
                                            else u)(p[k][0])
                        pol[at] = d
        return opmap, pols

# ------------------------------------------------------------ the spec


class Spec:
    def __init__(self, path):
        with open(path) as f:
            self.y = yaml.safe_load(f)
        self.consts = {d['name']: d.get('value')
                       for d in self.y.get('definitions', [])
                       if d['type'] == 'const'}
        self.sets = {}
        for st in self.y['attribute-sets']:
            self.sets[st['name']] = st
        self.attrs = {}		# set name -> {value: attr}
        for st in self.y['attribute-sets']:
            if 'subset-of' in st:
                continue
            val, d = 1, {}
            for a in st['attributes']:
                val = a.get('value', val)
                d[val] = dict(a, value=val)
                val += 1
            self.attrs[st['name']] = d
        for st in self.y['attribute-sets']:
            if 'subset-of' in st:
                parent = self.attrs[st['subset-of']]
                names = {a['name'] for a in st['attributes']}
                self.attrs[st['name']] = {v: a for v, a in parent.items()
                                          if a['name'] in names}
        self.ops = {}
        val = 1
        for op in self.y['operations']['list']:
            val = op.get('value', val)
            self.ops[op['name']] = dict(op, value=val)
            val += 1

    def limit(self, v):
        if isinstance(v, int):
            return v
        if v in self.consts:
            return self.limit(self.consts[v])
        t, _, m = v.rpartition('-')
        if t in INT_BITS and m in ('min', 'max'):
            b = INT_BITS[t]
            if t[0] == 'u':
                return 0 if m == 'min' else (1 << b) - 1
            return -(1 << (b - 1)) if m == 'min' else (1 << (b - 1)) - 1
        return int(v, 0)

    def maxval(self, set_name):
        return max(self.attrs[set_name])

    def accepted(self, set_name):
        """Names a request nest of set_name may carry."""
        sub = set_name + '-request'
        src = sub if sub in self.sets and \
            self.sets[sub].get('subset-of') == set_name else set_name
        return {a['name'] for a in self.attrs[src].values()
                if a['type'] not in ('pad', 'unused')}

    def expect(self, a, notes, where):
        """What the policy dump should show for attribute a (None: absent)."""
        t, ck = a['type'], a.get('checks', {})
        if t in ('pad', 'unused'):
            return None
        if t in INT_BITS:
            if a.get('byte-order') == 'big-endian' and t[0] == 'u' \
                    and t != 'u8':
                notes.append(f'{where}: {t} big-endian (NLA_BE{t[1:]}) is '
                             'not in the kernel\'s policy dump: not checked')
                return None
            d = {'type': t}
            ck = dict(ck)
            en = self.enum(a['enum']) if 'enum' in a else None
            if en and (en['type'] == 'flags' or a.get('enum-as-flags')):
                d['mask'] = self.enum_mask(en)
                return d
            if 'flags-mask' in ck:
                d['mask'] = self.enum_mask(self.enum(ck['flags-mask']))
                return d
            if en:		# as ynl-gen-c: an enum bounds its attribute
                vals = self.enum_values(en)
                if 'min' not in ck and (min(vals) != 0 or t[0] == 's'):
                    ck['min'] = min(vals)
                ck.setdefault('max', max(vals))
            w = t if t[1:].isdigit() else t[0] + '64'
            d['min'] = self.limit(ck.get('min', w + '-min'))
            d['max'] = self.limit(ck.get('max', w + '-max'))
            return d
        if t in ('flag', 'bitfield32'):
            return {'type': t}
        if t in ('binary', 'string'):
            d = {'type': t}
            if 'exact-len' in ck:
                d['min-len'] = d['max-len'] = self.limit(ck['exact-len'])
            elif 'max-len' in ck:
                d['max-len'] = self.limit(ck['max-len'])
                if 'min-len' in ck and self.limit(ck['min-len']):
                    d['min-len'] = self.limit(ck['min-len'])
            elif 'min-len' in ck:
                notes.append(f'{where}: min-len {ck["min-len"]} alone '
                             '(NLA_VALIDATE_MIN) is not in the kernel\'s '
                             'policy dump: not checked')
            return d
        if t == 'nest':
            return {'type': 'nested',
                    'maxtype': self.maxval(a['nested-attributes'])}
        raise ValueError(f'{where}: type {t} not handled by this checker')

    def enum(self, name):
        for d in self.y.get('definitions', []):
            if d['name'] == name:
                return d
        raise KeyError(name)

    @staticmethod
    def enum_values(en):
        vals, v = [], en.get('value-start', 0)
        for e in en['entries']:
            if isinstance(e, dict):
                v = e.get('value', v)
            vals.append(v)
            v += 1
        return vals

    def enum_mask(self, en):
        vals = self.enum_values(en)
        if en['type'] == 'flags':
            vals = [1 << v for v in vals]
        m = 0
        for v in vals:
            m |= v
        return m

# ------------------------------------------------------------ comparing


class Checker:
    def __init__(self, spec, pols, hand_parsed):
        self.spec, self.pols, self.hand = spec, pols, hand_parsed
        self.bad, self.notes, self.seen = [], [], set()

    def policy(self, idx, set_name, names, where):
        """Compare kernel policy idx with set_name accepting names."""
        key = (idx, set_name, frozenset(names))
        if key in self.seen:
            return
        self.seen.add(key)
        # A policy with no attribute the dump can show has no entry.
        kern = self.pols.get(idx, {})
        sattrs = self.spec.attrs[set_name]
        for val in sorted(set(kern) | set(sattrs)):
            a = sattrs.get(val)
            w = f'{where}.{a["name"] if a else val}'
            if a is None:
                self.bad.append(f'{w}: the kernel accepts attribute {val} '
                                f'({kern[val]}), which the spec\'s set '
                                f'{set_name} does not have')
                continue
            got = kern.get(val)
            if a['name'] not in names:
                exp = None
            elif (where.split('.')[0] + ':' + a['name']) in self.hand:
                exp = {'type': 'nested'}
                self.notes.append(f'{w}: parsed by hand in the kernel, '
                                  'its content is not in the policy')
            else:
                exp = self.spec.expect(a, self.notes, w)
            cmp_got = None if got is None else \
                {k: v for k, v in got.items() if k != 'policy'}
            if cmp_got != exp:
                self.bad.append(f'{w}: kernel {got or "refuses it"}, '
                                f'spec says {exp or "refused"}')
                continue
            if exp and exp['type'] == 'nested' and 'maxtype' in exp:
                if 'policy' not in got:
                    self.bad.append(f'{w}: no nested policy in the kernel')
                    continue
                nested = a['nested-attributes']
                self.policy(got['policy'],
                            self.spec.sets[nested].get('subset-of', nested),
                            self.spec.accepted(nested), w)


def op_request(op, mode, kernel_policy):
    if kernel_policy in ('per-op', 'global'):
        for m in ('do', 'dump'):
            if m in op and 'request' in op[m]:
                return op[m]['request'].get('attributes', [])
        return []
    return op.get(mode, {}).get('request', {}).get('attributes', [])


def check(spec_path, hand_parsed):
    spec = Spec(spec_path)
    name = spec.y['name']
    kpol = spec.y.get('kernel-policy', 'split')
    ctrl = Ctrl()
    bad, notes = [], []
    try:
        fam = ctrl.family(name)
    except OSError as e:
        print(f'MISMATCH family {name}: not registered ({e})')
        return 1
    print(f'ok family {name}: id {fam["id"]} version {fam["version"]} '
          f'maxattr {fam["maxattr"]} ops {sorted(fam["ops"])} '
          f'groups {fam["mcgrps"]}')

    if fam['version'] != spec.y.get('version', 1):
        bad.append(f'version: kernel {fam["version"]}, '
                   f'spec {spec.y.get("version", 1)}')
    groups = [g['name'] for g in spec.y.get('mcast-groups', {}).get('list',
                                                                     [])]
    if sorted(groups) != sorted(fam['mcgrps']):
        bad.append(f'groups: kernel {fam["mcgrps"]}, spec {groups}')

    opmap, pols = ctrl.policy(name)
    sync_ops = {o['value']: o for o in spec.ops.values()
                if 'do' in o or 'dump' in o}
    for cmd in sorted(set(sync_ops) | set(fam['ops'])):
        op = sync_ops.get(cmd)
        if op is None:
            bad.append(f'op {cmd}: in the kernel, not in the spec')
            continue
        w = op['name']
        if cmd not in fam['ops']:
            bad.append(f'{w}: op {cmd} not in the kernel')
            continue
        flags = fam['ops'][cmd]
        exp = 0
        for f in op.get('flags', []):
            exp |= {'admin-perm': GENL_ADMIN_PERM,
                    'uns-admin-perm': GENL_UNS_ADMIN_PERM}[f]
        for m, cap in (('do', GENL_CMD_CAP_DO), ('dump', GENL_CMD_CAP_DUMP)):
            if m in op:
                exp |= cap
        got = flags & ~GENL_CMD_CAP_HASPOL
        if got != exp:
            bad.append(f'{w}: flags 0x{got:x} in the kernel, 0x{exp:x} in '
                       'the spec (admin-perm 0x1, do 0x2, dump 0x4, '
                       'uns-admin-perm 0x10)')
        top = op['attribute-set']
        if fam['maxattr'] and fam['maxattr'] != spec.maxval(top):
            bad.append(f'{w}: maxattr {fam["maxattr"]} in the kernel, '
                       f'{spec.maxval(top)} in the spec')

        # The op's own dump: the same mapping as in the family's dump.
        omap, opols = ctrl.policy(name, cmd)
        if cmd not in omap and len(omap) == 1:
            notes.append(f'{w}: the per-op policy dump maps it as op '
                         f'{list(omap)[0]}')
            omap = {cmd: list(omap.values())[0]}
        elif cmd not in omap and omap:
            bad.append(f'{w}: the per-op policy dump maps other ops')
        if cmd not in omap:
            notes.append(f'{w}: this kernel\'s per-op dump has no op '
                         'mapping: taking its policy 0')
            omap = {cmd: {'do': 0}}
        for mode in ('do', 'dump'):
            if mode not in op:
                if mode in opmap.get(cmd, {}):
                    bad.append(f'{w}: the kernel has a {mode} policy, '
                               f'the spec no {mode}')
                continue
            names = set(op_request(op, mode, kpol))
            if mode not in opmap.get(cmd, {}):
                if names:
                    bad.append(f'{w} {mode}: no policy in the kernel, '
                               f'the spec accepts {sorted(names)}')
                else:
                    notes.append(f'{w} {mode}: no policy (nothing '
                                 'accepted)')
                continue
            for label, m, pp in (('family dump', opmap, pols),
                                 ('op dump', omap, opols)):
                if mode not in m[cmd] and label == 'op dump':
                    continue
                c = Checker(spec, pp, hand_parsed)
                c.policy(m[cmd][mode], top, names, f'{w}.{mode}')
                bad += [f'{b} [{label}]' for b in c.bad]
                if label == 'family dump':
                    notes += c.notes
    for n in dict.fromkeys(notes):
        print('note', n)
    for b in bad:
        print('MISMATCH', b)
    if not bad:
        print(f'ok {len(sync_ops)} ops, {len(pols)} policies: the kernel '
              'matches the spec')
    return 1 if bad else 0


def schema(spec_path, schema_path):
    import jsonschema
    with open(spec_path) as f:
        y = yaml.safe_load(f)
    with open(schema_path) as f:
        sch = yaml.safe_load(f)
    jsonschema.validate(y, sch)
    print(f'ok {spec_path} is valid against {schema_path}')
    return 0


# ------------------------------------------------------------ extracting
# The ynl library sits at 96% of the 1.5 GB linux-source tarball, which
# takes minutes to decompress under TCG. Debian's tarball is a multi-block
# xz (24 MiB blocks) of a name-sorted tar: find the block by a binary search
# on the first member name of each block, and decompress only from there.


def xz_varint(b, o):
    v = sh = 0
    while True:
        c = b[o]
        o += 1
        v |= (c & 0x7f) << sh
        sh += 7
        if not c & 0x80:
            return v, o


class XzBlocks:
    def __init__(self, path):
        self.f = open(path, 'rb')
        self.f.seek(-12, 2)
        end = self.f.tell()
        foot = self.f.read(12)
        if foot[10:] != b'YZ':
            raise ValueError('not an xz file')
        back = (struct.unpack('<I', foot[4:8])[0] + 1) * 4
        self.f.seek(end - back)
        idx = self.f.read(back)
        n, o = xz_varint(idx, 1)
        self.blocks, coff = [], 12
        for _ in range(n):
            unp, o = xz_varint(idx, o)
            _, o = xz_varint(idx, o)
            self.blocks.append((coff, unp))
            coff += (unp + 3) & ~3
        self.cache = {}

    def data(self, i, head=0):
        """Block i decompressed, or at least its first head bytes."""
        if i not in self.cache and (head, i) not in self.cache:
            import lzma
            coff, unp = self.blocks[i]
            self.f.seek(coff)
            raw = self.f.read(unp)
            flags, o = raw[1], 2
            if flags & 0x40:
                _, o = xz_varint(raw, o)
            if flags & 0x80:
                _, o = xz_varint(raw, o)
            filters = []
            for _ in range((flags & 3) + 1):
                fid, o = xz_varint(raw, o)
                psz, o = xz_varint(raw, o)
                filters.append(lzma._decode_filter_properties(
                    fid, raw[o:o + psz]))
                o += psz
            dec = lzma.LZMADecompressor(format=lzma.FORMAT_RAW,
                                        filters=filters)
            key = (head, i) if head else i
            self.cache[key] = dec.decompress(raw[(raw[0] + 1) * 4:],
                                             max_length=head or -1)
        return self.cache[i] if i in self.cache else self.cache[(head, i)]


def tar_header(b, o):
    """(name, size, type) of a valid tar header at b[o:o+512], or None."""
    h = b[o:o + 512]
    if len(h) < 512 or h[257:262] != b'ustar':
        return None
    try:
        chk = int(h[148:156].split(b'\0')[0].strip() or b'-1', 8)
    except ValueError:
        return None
    if chk != sum(h[:148]) + 256 + sum(h[156:]):
        return None
    name = h[:100].split(b'\0')[0].decode(errors='replace')
    pfx = h[345:500].split(b'\0')[0].decode(errors='replace')
    if pfx:
        name = pfx + '/' + name
    return name, int(h[124:136].split(b'\0')[0].strip() or b'0', 8), h[156:157]


def path_key(name):
    return name.rstrip('/').split('/')


def extract(tarball, dest, wanted):
    xzb = XzBlocks(tarball)

    def first_name(i):
        d = xzb.data(i, 1 << 20)
        for o in range(0, len(d), 512):
            h = tar_header(d, o)
            if h and h[2] != b'L':
                return h[0]
        return None

    got = 0
    for want in wanted:
        lo, hi = 0, len(xzb.blocks) - 1	# last block whose first <= want
        while lo < hi:
            mid = (lo + hi + 1) // 2
            n = first_name(mid)
            if n is not None and path_key(n) <= path_key(want):
                lo = mid
            else:
                hi = mid - 1
        # Walk the members from the first header of block lo.
        blk, buf = lo, bytearray(xzb.data(lo))
        o = next(o for o in range(0, len(buf), 512) if tar_header(buf, o))
        longname = None
        while True:
            while o + 512 > len(buf) and blk + 1 < len(xzb.blocks):
                blk += 1
                buf += xzb.data(blk)
            h = tar_header(buf, o)
            if h is None:
                break
            name, size, typ = h
            end = o + 512 + ((size + 511) & ~511)
            while end > len(buf) and blk + 1 < len(xzb.blocks):
                blk += 1
                buf += xzb.data(blk)
            body = bytes(buf[o + 512:o + 512 + size])
            o = end
            if typ == b'L':
                longname = body.split(b'\0')[0].decode()
                continue
            if longname:
                name, longname = longname, None
            if want.endswith('/'):
                if not name.startswith(want):
                    if path_key(name) > path_key(want):
                        break
                    continue
            elif name != want:
                if path_key(name) > path_key(want):
                    break
                continue
            if typ in (b'0', b'\0'):
                path = os.path.join(dest, name)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, 'wb') as f:
                    f.write(body)
                got += 1
            if not want.endswith('/'):
                break
    full = sum(1 for k in xzb.cache if isinstance(k, int))
    print(f'ok extracted {got} files, {full} of {len(xzb.blocks)} xz blocks '
          'decompressed')
    return 0 if got else 1


def main(argv):
    if len(argv) == 4 and argv[1] == 'schema':
        return schema(argv[2], argv[3])
    if len(argv) >= 5 and argv[1] == 'extract':
        return extract(argv[2], argv[3], argv[4:])
    if len(argv) >= 3 and argv[1] == 'check':
        hand = set()
        rest = argv[3:]
        while rest:
            if rest[0] != '--hand-parsed' or len(rest) < 2:
                break
            hand.add(rest[1])
            rest = rest[2:]
        if not rest:
            return check(argv[2], hand)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
