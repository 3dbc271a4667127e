package lmtp

import (
	"errors"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/postbus/postbus/frontend/metrics"
)

func TestDeliveryResult(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, metrics.LMTPDelivered},
		{errUnknownUser, metrics.LMTPUnknownUser},
		{errBadAddress, metrics.LMTPBadAddress},
		{errOverQuota, metrics.LMTPOverQuota},
		{errTooBig, metrics.LMTPTooBig},
		{errTemporary, metrics.LMTPTemporary},
		{&smtp.SMTPError{Code: 552, Message: "too big"}, metrics.LMTPTooBig},
		{&smtp.SMTPError{Code: 421, Message: "later"}, metrics.LMTPTemporary},
		{&smtp.SMTPError{Code: 554, Message: "no"}, metrics.LMTPRejected},
		{errors.New("anything"), metrics.LMTPRejected},
	}
	for _, tt := range tests {
		if got := deliveryResult(tt.err); got != tt.want {
			t.Errorf("deliveryResult(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
