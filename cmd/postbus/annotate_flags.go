package main

import "flag"

// annotationFlags are the read-only server annotations of RFC 5464
// §3.2.1.1 that every user reads with GETMETADATA "" (frontend.Config
// AdminContact, ServerComment), for serve and the frontend role.
type annotationFlags struct {
	adminContact, serverComment string
}

func (a *annotationFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.adminContact, "admin-contact", "", `server annotation /shared/admin: a URI to reach the administrator, e.g. "mailto:postmaster@example.com" (empty: none)`)
	fs.StringVar(&a.serverComment, "server-comment", "", "server annotation /shared/comment shown to every user (empty: none)")
}
