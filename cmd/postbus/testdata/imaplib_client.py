"""Drives a running `postbus serve` with Python's imaplib, an IMAP client
written independently of postbus and of go-imap.

Run by TestPythonImaplib (integration_test.go), which starts the server and
passes where it is through the environment:
  POSTBUS_IMAPS=host:port  POSTBUS_IMAP=host:port  POSTBUS_CA=cert.pem
  POSTBUS_USER / POSTBUS_PASS (an existing user; the tests start from its
  fresh mailboxes)
"""
import email.utils
import imaplib
import os
import re
import socket
import ssl
import time
import unittest
import zlib

IMAPS = os.environ["POSTBUS_IMAPS"].rsplit(":", 1)
IMAP = os.environ["POSTBUS_IMAP"].rsplit(":", 1)
CA = os.environ["POSTBUS_CA"]
USER = os.environ["POSTBUS_USER"]
PASS = os.environ["POSTBUS_PASS"]


def tls_context():
    ctx = ssl.create_default_context(cafile=CA)
    ctx.check_hostname = False  # the certificate names localhost; we dial 127.0.0.1
    return ctx


def connect():
    c = imaplib.IMAP4_SSL(IMAPS[0], int(IMAPS[1]), ssl_context=tls_context())
    c.login(USER, PASS)
    return c


MESSAGE = (
    "From: Alice Example <alice@example.org>\r\n"
    "To: Bob <bob@example.org>, carol@example.org\r\n"
    "Subject: Quarterly numbers\r\n"
    "Date: Tue, 24 Nov 2026 10:00:00 +0100\r\n"
    "Message-ID: <q1@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "The numbers are in the attached sheet.\r\n"
    "Revenue grew by a zebra-sized margin.\r\n"
)

MULTIPART = (
    "From: dave@example.org\r\n"
    "To: bob@example.org\r\n"
    "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= from Dave\r\n"
    "Date: Wed, 25 Nov 2026 09:30:00 +0000\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=XYZ\r\n"
    "\r\n"
    "--XYZ\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Sch=C3=B6ne Gr=C3=BC=C3=9Fe aus Berlin\r\n"
    "--XYZ\r\n"
    "Content-Type: application/octet-stream; name=\"data.bin\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "AAECAwQFBgcICQ==\r\n"
    "--XYZ--\r\n"
)


class Capabilities(unittest.TestCase):
    def test_implicit_tls(self):
        c = imaplib.IMAP4_SSL(IMAPS[0], int(IMAPS[1]), ssl_context=tls_context())
        caps = c.capabilities
        for want in ("IMAP4REV1", "IMAP4REV2", "AUTH=PLAIN", "IDLE", "UIDPLUS", "MOVE"):
            self.assertIn(want, caps)
        self.assertNotIn("LOGINDISABLED", caps)
        c.logout()

    def test_cleartext_login_refused_then_starttls(self):
        c = imaplib.IMAP4(IMAP[0], int(IMAP[1]))
        self.assertIn("STARTTLS", c.capabilities)
        self.assertIn("LOGINDISABLED", c.capabilities)
        self.assertFalse(any(x.startswith("AUTH=") for x in c.capabilities))
        with self.assertRaises(imaplib.IMAP4.error) as cm:
            c.login(USER, PASS)
        self.assertIn("PRIVACYREQUIRED", str(cm.exception))
        c.starttls(ssl_context=tls_context())
        self.assertNotIn("LOGINDISABLED", c.capabilities)
        self.assertIn("AUTH=PLAIN", c.capabilities)
        typ, _ = c.login(USER, PASS)
        self.assertEqual(typ, "OK")
        c.logout()

    def test_wrong_password(self):
        c = imaplib.IMAP4_SSL(IMAPS[0], int(IMAPS[1]), ssl_context=tls_context())
        with self.assertRaises(imaplib.IMAP4.error) as cm:
            c.login(USER, PASS + "x")
        self.assertIn("AUTHENTICATIONFAILED", str(cm.exception))
        # The connection stays usable after one failure.
        typ, _ = c.login(USER, PASS)
        self.assertEqual(typ, "OK")
        c.logout()

    def test_authenticate_plain(self):
        c = imaplib.IMAP4_SSL(IMAPS[0], int(IMAPS[1]), ssl_context=tls_context())
        typ, _ = c.authenticate("PLAIN", lambda _: ("\0%s\0%s" % (USER, PASS)).encode())
        self.assertEqual(typ, "OK")
        self.assertEqual(c.state, "AUTH")
        c.logout()


class Mailboxes(unittest.TestCase):
    def setUp(self):
        self.c = connect()

    def tearDown(self):
        self.c.logout()

    def names(self):
        typ, data = self.c.list()
        self.assertEqual(typ, "OK")
        out = {}
        for line in data:
            m = re.match(rb'\((.*?)\) "(.*?)" (.*)', line)
            self.assertIsNotNone(m, line)
            name = m.group(3).decode().strip('"')
            out[name] = m.group(1).decode()
        return out

    def test_default_special_use(self):
        got = self.names()
        self.assertIn("INBOX", got)
        for name, attr in (("Drafts", "\\Drafts"), ("Sent", "\\Sent"), ("Trash", "\\Trash"),
                           ("Junk", "\\Junk"), ("Archive", "\\Archive")):
            self.assertIn(name, got)
            self.assertIn(attr, got[name])

    def test_create_rename_delete(self):
        self.assertEqual(self.c.create("Projects/2026")[0], "OK")
        got = self.names()
        self.assertIn("Projects/2026", got)
        self.assertIn("\\HasChildren", got["Projects"])
        typ, data = self.c.create("Projects/2026")
        self.assertEqual(typ, "NO")
        self.assertIn(b"ALREADYEXISTS", data[0])
        self.assertEqual(self.c.rename("Projects", "Work")[0], "OK")
        got = self.names()
        self.assertIn("Work/2026", got)
        self.assertNotIn("Projects/2026", got)
        typ, data = self.c.delete("Work")
        self.assertEqual(typ, "NO")  # has children
        self.assertEqual(self.c.delete("Work/2026")[0], "OK")
        self.assertEqual(self.c.delete("Work")[0], "OK")
        typ, data = self.c.select("Work")
        self.assertEqual(typ, "NO")
        self.assertIn(b"NONEXISTENT", data[0])

    def test_subscribe_lsub(self):
        self.assertEqual(self.c.create("Lists")[0], "OK")
        self.assertEqual(self.c.subscribe("Lists")[0], "OK")
        typ, data = self.c.lsub()
        self.assertTrue(any(b"Lists" in d for d in data), data)
        self.assertEqual(self.c.unsubscribe("Lists")[0], "OK")
        typ, data = self.c.lsub()
        self.assertFalse(any(d and b"Lists" in d for d in data), data)

    def test_status(self):
        self.assertEqual(self.c.create("StatusBox")[0], "OK")
        self.c.append("StatusBox", None, None, MESSAGE.encode())
        typ, data = self.c.status("StatusBox", "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY SIZE)")
        self.assertEqual(typ, "OK")
        m = re.search(rb"MESSAGES (\d+).*UNSEEN (\d+).*UIDNEXT (\d+).*SIZE (\d+)", data[0])
        self.assertIsNotNone(m, data)
        self.assertEqual(int(m.group(1)), 1)
        self.assertEqual(int(m.group(2)), 1)
        self.assertEqual(int(m.group(3)), 2)
        self.assertEqual(int(m.group(4)), len(MESSAGE))


class Messages(unittest.TestCase):
    def setUp(self):
        self.c = connect()
        self.box = "T%d" % (time.time_ns() % 10**9)
        self.assertEqual(self.c.create(self.box)[0], "OK")

    def tearDown(self):
        self.c.logout()

    def test_append_fetch_search_store_copy_move_expunge(self):
        c = self.c
        date = imaplib.Time2Internaldate(time.mktime((2026, 11, 1, 12, 0, 0, 0, 0, -1)))
        typ, data = c.append(self.box, "(\\Seen $Important)", date, MESSAGE.encode())
        self.assertEqual(typ, "OK")
        self.assertIn(b"APPENDUID", data[0])
        typ, data = c.append(self.box, None, None, MULTIPART.encode())
        self.assertEqual(typ, "OK")
        typ, data = c.select(self.box)
        self.assertEqual(typ, "OK")
        self.assertEqual(int(data[0]), 2)

        typ, data = c.fetch("1", "(FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)")
        self.assertEqual(typ, "OK")
        line = data[0]
        self.assertIn(b"\\Seen", line)
        self.assertIn(b"$Important", line)
        self.assertIn(("RFC822.SIZE %d" % len(MESSAGE)).encode(), line)
        self.assertIn(b"01-Nov-2026", line)
        self.assertIn(b'"Quarterly numbers"', line)
        self.assertIn(b'"<q1@example.org>"', line)

        typ, data = c.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(data[0][1], b"Subject: Quarterly numbers\r\n\r\n")
        typ, data = c.fetch("1", "(BODY.PEEK[TEXT])")
        self.assertTrue(data[0][1].startswith(b"The numbers are"))
        typ, data = c.fetch("1", "(BODY.PEEK[]<4.12>)")
        self.assertEqual(data[0][1], MESSAGE.encode()[4:16])
        typ, data = c.fetch("2", "(BODY.PEEK[2] BODY.PEEK[1.MIME])")
        self.assertEqual(typ, "OK")
        joined = b"".join(x[1] for x in data if isinstance(x, tuple))
        self.assertIn(b"AAECAwQFBgcICQ==", joined)
        self.assertIn(b"quoted-printable", joined)
        typ, data = c.fetch("2", "(BINARY.PEEK[2])")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0][1], bytes(range(10)))
        typ, data = c.fetch("2", "(BODYSTRUCTURE)")
        self.assertIn(b'"MIXED"', data[0].upper())

        # Fetching BODY[] without PEEK sets \Seen.
        typ, data = c.fetch("2", "(BODY[])")
        self.assertEqual(data[0][1], MULTIPART.encode())
        typ, data = c.fetch("2", "(FLAGS)")
        self.assertIn(b"\\Seen", data[0])

        typ, data = c.search(None, "SUBJECT", '"quarterly"')
        self.assertEqual(data[0].split(), [b"1"])
        typ, data = c.search(None, "BODY", "zebra")
        self.assertEqual(data[0].split(), [b"1"])
        # A UTF-8 needle sent as a literal matches quoted-printable UTF-8 text.
        c.literal = "SCHÖNE".encode("utf-8")
        typ, data = c.search("UTF-8", "BODY")
        self.assertEqual(data[0].split(), [b"2"])
        c.literal = "grüße".encode("utf-8")
        typ, data = c.search("UTF-8", "SUBJECT")
        self.assertEqual(data[0].split(), [b"2"])
        typ, data = c.search("UTF-8", "TEXT", "Berlin")
        self.assertEqual(data[0].split(), [b"2"])
        typ, data = c.search(None, "KEYWORD", "$Important")
        self.assertEqual(data[0].split(), [b"1"])
        typ, data = c.search(None, "OR", "FROM", "dave", "LARGER", "100000")
        self.assertEqual(data[0].split(), [b"2"])
        typ, data = c.search(None, "SINCE", "1-Nov-2026", "BEFORE", "2-Nov-2026")
        self.assertEqual(data[0].split(), [b"1"])

        typ, data = c.store("1:2", "+FLAGS", "(\\Flagged)")
        self.assertEqual(typ, "OK")
        typ, data = c.search(None, "FLAGGED")
        self.assertEqual(data[0].split(), [b"1", b"2"])
        typ, data = c.uid("SEARCH", None, "ALL")
        uids = data[0].split()
        self.assertEqual(len(uids), 2)

        typ, data = c.copy("1", "Archive")
        self.assertEqual(typ, "OK")
        typ, data = c.uid("MOVE", uids[1], "Trash")
        self.assertEqual(typ, "OK")
        typ, data = c.search(None, "ALL")
        self.assertEqual(data[0].split(), [b"1"])

        c.store("1", "+FLAGS", "(\\Deleted)")
        typ, data = c.expunge()
        self.assertEqual(typ, "OK")
        # imaplib accumulates untagged EXPUNGEs: the MOVE's "* 2 EXPUNGE"
        # (RFC 6851 §3.3), then this EXPUNGE's "* 1 EXPUNGE".
        self.assertEqual(data, [b"2", b"1"])
        typ, data = c.status(self.box, "(MESSAGES)")
        self.assertIn(b"MESSAGES 0", data[0])

    def test_errors_keep_connection_usable(self):
        c = self.c
        with self.assertRaises(imaplib.IMAP4.error):
            c.fetch("1", "(FLAGS)")  # no mailbox selected
        c.select(self.box)
        with self.assertRaises(imaplib.IMAP4.error):
            c.xatom("FROBNICATE")
        with self.assertRaises(imaplib.IMAP4.error):
            c.fetch("0", "(FLAGS)")  # sequence number 0 is invalid
        with self.assertRaises(imaplib.IMAP4.error):
            c.fetch("1", "(NOSUCHITEM)")
        typ, data = c.append("NoSuchBox", None, None, MESSAGE.encode())
        self.assertEqual(typ, "NO")
        self.assertIn(b"TRYCREATE", data[0])
        self.assertEqual(c.noop()[0], "OK")

    def test_other_session_changes_on_noop(self):
        a = self.c
        b = connect()
        try:
            a.select(self.box)
            b.append(self.box, None, None, MESSAGE.encode())
            typ, _ = a.noop()
            self.assertEqual(typ, "OK")
            self.assertEqual(a.response("EXISTS")[1][-1], b"1")
            b.select(self.box)
            b.store("1", "+FLAGS", "(\\Deleted)")
            b.expunge()
            a.noop()
            self.assertEqual(a.response("EXPUNGE")[1][-1], b"1")
        finally:
            b.logout()


class UTF8Accept(unittest.TestCase):
    """RFC 6855: after ENABLE UTF8=ACCEPT imaplib sends UTF-8 commands and
    the server answers with UTF-8 mailbox names, not modified UTF-7."""

    NAME = "Zürich/Größe ☃"

    def test_enable_then_utf8_mailbox_names(self):
        c = connect()
        legacy = connect()
        try:
            self.assertIn("UTF8=ACCEPT", c.capabilities)
            typ, _ = c.enable("UTF8=ACCEPT")
            self.assertEqual(typ, "OK")
            self.assertEqual(c.response("ENABLED")[1], [b"UTF8=ACCEPT"])
            self.assertTrue(c.utf8_enabled)

            # imaplib does not quote arguments: UTF-8 goes in quoted strings
            # (RFC 6855 §3), not in atoms.
            quoted = '"%s"' % self.NAME
            self.assertEqual(c.create(quoted)[0], "OK")
            typ, data = c.list('""', '"Zürich*"')
            self.assertEqual(typ, "OK")
            names = [d for d in data if d]
            self.assertTrue(any(d.endswith(b' "Z\xc3\xbcrich"') for d in names), names)
            self.assertTrue(any(d.endswith(('"%s"' % self.NAME).encode()) for d in names), names)
            self.assertFalse(any(b"&" in d for d in names), names)

            typ, data = c.select(quoted)
            self.assertEqual(typ, "OK")
            self.assertEqual(data, [b"0"])
            typ, data = c.status(quoted, "(MESSAGES)")
            self.assertEqual(typ, "OK")
            self.assertIn(('"%s" (MESSAGES 0)' % self.NAME).encode(), data[0])
            # RFC 6855 §3: no SEARCH CHARSET once UTF-8 is enabled.
            # imaplib itself refuses c.search("UTF-8", ...) in UTF-8 mode, so
            # the command goes out by hand; imaplib raises on BAD.
            with self.assertRaises(imaplib.IMAP4.error) as bad:
                c._simple_command("SEARCH", "CHARSET", "UTF-8", "ALL")
            self.assertIn("CHARSET", str(bad.exception))
            typ, data = c.search(None, "ALL")
            self.assertEqual(typ, "OK")

            # A session that did not ENABLE sees the same mailbox in
            # modified UTF-7 (RFC 3501 §5.1.3), 7-bit only.
            typ, data = legacy.list('""', "Z*")
            self.assertEqual(typ, "OK")
            legacy_names = [d for d in data if d]
            self.assertEqual(len(legacy_names), 2, legacy_names)
            for d in legacy_names:
                self.assertTrue(d.isascii(), d)
            self.assertTrue(any(b"Z&APw-rich/Gr&APYA3w-e &JgM-" in d for d in legacy_names), legacy_names)

            c.close()
            self.assertEqual(c.delete(quoted)[0], "OK")
            self.assertEqual(c.delete('"Zürich"')[0], "OK")
        finally:
            legacy.logout()
            c.logout()


# imaplib refuses commands it does not know; COMPRESS is command-auth.
imaplib.Commands.setdefault("COMPRESS", ("AUTH", "SELECTED"))


class DeflateIMAP4_SSL(imaplib.IMAP4_SSL):
    """imaplib over COMPRESS=DEFLATE (RFC 4978), with zlib (raw DEFLATE,
    wbits -15) as the independent implementation on the client side."""

    deflating = False

    def compress(self):
        typ, data = self._simple_command("COMPRESS", "DEFLATE")
        if typ == "OK":
            self.deflating = True
            self._deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
            self._inflate = zlib.decompressobj(-15)
            self._plain = b""
        return typ, data

    def send(self, data):
        if self.deflating:
            data = self._deflate.compress(data) + self._deflate.flush(zlib.Z_SYNC_FLUSH)
        super().send(data)

    def _fill(self):
        chunk = self.file.read1(65536)
        if not chunk:
            return False
        self._plain += self._inflate.decompress(chunk)
        return True

    def readline(self):
        if not self.deflating:
            return super().readline()
        while b"\n" not in self._plain and self._fill():
            pass
        i = self._plain.find(b"\n") + 1 or len(self._plain)
        line, self._plain = self._plain[:i], self._plain[i:]
        return line

    def read(self, size):
        if not self.deflating:
            return super().read(size)
        while len(self._plain) < size and self._fill():
            pass
        data, self._plain = self._plain[:size], self._plain[size:]
        return data


class Compress(unittest.TestCase):
    def test_deflate_session(self):
        c = DeflateIMAP4_SSL(IMAPS[0], int(IMAPS[1]), ssl_context=tls_context())
        try:
            self.assertNotIn("COMPRESS=DEFLATE", c.capabilities)  # command-auth only
            c.login(USER, PASS)
            typ, data = c.capability()
            self.assertIn(b"COMPRESS=DEFLATE", data[0])
            typ, _ = c.compress()
            self.assertEqual(typ, "OK")
            # A second COMPRESS: NO [COMPRESSIONACTIVE] (RFC 4978 §3).
            typ, data = c._simple_command("COMPRESS", "DEFLATE")
            self.assertEqual(typ, "NO")
            self.assertIn(b"COMPRESSIONACTIVE", data[0])

            self.assertEqual(c.create("Zipped")[0], "OK")
            body = "".join("line %d of a long and repetitive message\r\n" % i for i in range(5000))
            msg = MESSAGE.split("\r\n\r\n", 1)[0] + "\r\n\r\n" + body
            typ, data = c.append("Zipped", None, None, msg.encode())
            self.assertEqual(typ, "OK")
            typ, data = c.select("Zipped")
            self.assertEqual(data, [b"1"])
            typ, data = c.fetch("1", "(BODY.PEEK[])")
            self.assertEqual(typ, "OK")
            self.assertEqual(data[0][1], msg.encode())
            typ, data = c.search(None, "BODY", '"line 4999 of"')
            self.assertEqual(data[0].split(), [b"1"])
            c.close()
            self.assertEqual(c.delete("Zipped")[0], "OK")
        finally:
            c.logout()


if __name__ == "__main__":
    unittest.main(verbosity=2)
