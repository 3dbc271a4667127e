#!/usr/bin/env python3
"""Records Dovecot's FETCH (ENVELOPE BODY BODYSTRUCTURE) of the dovediff edge cases
for TestDovecotStructures, by running Debian's /usr/lib/dovecot/imap pre-authenticated
over a pipe, as frontend/dovediff_test.go does (as root: the mail is accessed as
nobody, uid 65534). Run from the repository root:
  python3 frontend/internal/message/testdata/record-dovecot.py \
    frontend/testdata/dovediff frontend/internal/message/testdata/dovecot-structures.txt"""
import os, sys, subprocess, tempfile, shutil, glob, re
d = tempfile.mkdtemp(prefix='dvg', dir=None); os.chmod(d, 0o777)
mail = os.path.join(d, 'mail'); os.mkdir(mail); os.chmod(mail, 0o777)
open(d+'/dovecot.conf','w').write(f"protocols = imap\nmail_location = maildir:{mail}\nbase_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/log\nssl = no\nmail_uid = 65534\nmail_gid = 65534\nfirst_valid_uid = 0\nfirst_valid_gid = 0\n")
files = sorted(f for f in glob.glob(sys.argv[1]+'/*.eml') if not f.endswith('.lf.eml'))
inp = b''
for f in files:
    raw = open(f,'rb').read().replace(b'\n', b'\r\n')
    inp += b'a APPEND INBOX {%d+}\r\n' % len(raw) + raw + b'\r\n'
inp += b's SELECT INBOX\r\nf FETCH 1:* (ENVELOPE BODY BODYSTRUCTURE)\r\nz LOGOUT\r\n'
out = subprocess.run(['/usr/lib/dovecot/imap','-c',d+'/dovecot.conf'], input=inp, capture_output=True, env={'USER':'nobody','HOME':d}).stdout.decode('latin1')  # latin1: one char per octet, written back as octets
body = out[out.index('\r\n* 1 FETCH')+2: out.index('\r\nf OK')]
# split responses: each starts with "* N FETCH" at a line start
parts = re.split(r'(?:^|\r\n)(?=\* \d+ FETCH \()', body)
parts = [p for p in parts if p]
assert len(parts) == len(files), (len(parts), len(files))
res = {}
for f, p in zip(files, parts):
    n = int(p.split()[1]); assert p.startswith('* %d FETCH' % n)
    res[os.path.basename(f)] = p[len('* %d FETCH ' % n):]
with open(sys.argv[2],'wb') as o:
    o.write(b'# Dovecot 2.3.19 FETCH (ENVELOPE BODY BODYSTRUCTURE) of frontend/testdata/dovediff/*.eml\n')
    o.write(b'# (LF turned into CRLF, *.lf.eml left out). Records: "== name length", that many octets, LF.\n')
    for k in sorted(res):
        b = res[k].encode('latin1')
        o.write(b'== %s %d\n' % (k.encode(), len(b)) + b + b'\n')
shutil.rmtree(d, ignore_errors=True)
print(len(res), 'files')
