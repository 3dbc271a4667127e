// Package metrics defines the Prometheus metric families of the frontend
// role: IMAP connections, sessions, commands and bytes (updated by package
// frontend) and LMTP deliveries (updated by frontend/lmtp).
//
// Invariants: every label takes values from a fixed set, so no client can
// grow the number of series — command names are the server's known
// commands or "OTHER" (the caller maps them; see frontend.commandLabel),
// results are OK/NO/BAD/BYE, reasons and listeners are the constants
// below. A Metrics made with a nil Registerer counts but is exported
// nowhere, so code that updates metrics never checks for nil.
package metrics
