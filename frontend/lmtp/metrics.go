package lmtp

import (
	"errors"

	"github.com/emersion/go-smtp"

	"github.com/postbus/postbus/frontend/metrics"
)

// count records one recipient's reply: nil is delivered.
func (s *Server) count(err error) {
	s.cfg.Metrics.LMTPDeliveries.WithLabelValues(deliveryResult(err)).Inc()
}

// deliveryResult maps a recipient's reply to its metrics label.
func deliveryResult(err error) string {
	if err == nil {
		return metrics.LMTPDelivered
	}
	switch err {
	case errUnknownUser:
		return metrics.LMTPUnknownUser
	case errBadAddress:
		return metrics.LMTPBadAddress
	case errOverQuota:
		return metrics.LMTPOverQuota
	case errTooBig:
		return metrics.LMTPTooBig
	case errTemporary:
		return metrics.LMTPTemporary
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		switch {
		case se.Code == 552:
			return metrics.LMTPTooBig // go-smtp's own size limit
		case se.Code >= 400 && se.Code < 500:
			return metrics.LMTPTemporary
		}
	}
	return metrics.LMTPRejected
}
