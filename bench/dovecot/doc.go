// Package dovecot runs a throwaway Dovecot IMAP server (Debian's
// dovecot-imapd) as a child process on 127.0.0.1, for benchmarks that
// compare postbus with it and for differential tests that use it as a
// reference implementation.
//
// Everything Dovecot writes lives under one directory: the generated
// configuration, a self-signed certificate, base_dir, state_dir, the log,
// a passwd-file of users (argon2id hashes at postbus's cost, or plain) and
// the mail (Maildir or sdbox, per user, owned by the unprivileged mail
// user "nobody"). Nothing in /etc/dovecot is read or changed, so it can
// run beside a system Dovecot. The process runs in the foreground
// (`dovecot -F -c CONF`) and Stop ends it by pid. Start needs root: it
// gives the mail directory to the mail user, and Dovecot's master starts
// as root to drop privileges per service.
//
// Typical use:
//
//	if _, err := dovecot.EnsureInstalled(ctx); err != nil { ... }
//	srv, err := dovecot.Start(ctx, dovecot.Config{})
//	defer srv.Stop()
//	srv.AddUser("user1", "secret")
//	// IMAPS at srv.IMAPS, trusting srv.CertFile with ServerName "localhost"
package dovecot
