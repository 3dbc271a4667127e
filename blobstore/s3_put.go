package blobstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/minio/minio-go/v7"
)

// Put implements Store. The key is the SHA-256 of the content, known only
// after the last byte, so the upload cannot simply stream to its final key.
// Put therefore reads the source into a buffer of at most PartSize bytes:
//
//   - If the source ends within it (almost every mail), the blob goes up with
//     one PUT to its final key, with Content-Length and its SHA-256 as the
//     signed payload hash (x-amz-content-sha256): the client need not hash
//     it again, and services that check that header (AWS S3, MinIO; not
//     versitygw) verify the bytes against the ID. One request, no temp
//     object, memory proportional to the blob.
//   - Otherwise the buffer becomes part 1 of a multipart upload to a temp key
//     (<prefix>tmp/<random>), refilled and sent part by part (memory stays at
//     one part), then server-side copied to the final key and the temp object
//     removed. The bytes cross the network once; the service copies them
//     (UploadPartCopy beyond 5 GiB, via ComposeObject).
//
// Spooling to a local temp file instead was rejected: frontends are
// stateless and need not have scratch disk sized for the largest message,
// and it adds a local write and read of every large blob.
//
// Put does not check whether the blob exists first: for a small blob that
// HEAD costs a round trip on every (mostly new) blob to save an upload on
// the rare duplicate, and overwriting identical bytes is harmless. It also
// refreshes the blob's modification time, which the GC's grace period relies
// on when a new message re-references a blob that had become unreferenced.
func (s *S3) Put(ctx context.Context, r io.Reader, maxSize int64) (ID, int64, error) {
	if err := ctx.Err(); err != nil {
		return "", 0, err
	}
	hr := newHashReader(ctx, r, maxSize)
	buf, eof, err := fillPart(hr, make([]byte, 0, min(64<<10, s.partSize)), s.partSize)
	if err != nil {
		return "", 0, fmt.Errorf("blobstore: s3 put: %w", err)
	}
	if eof {
		id := hr.id()
		_, err := s.core.PutObject(ctx, s.bucket, s.key(id), bytes.NewReader(buf), int64(len(buf)), "", id, minio.PutObjectOptions{})
		if err != nil {
			return "", 0, s.mapErr("put", id, err)
		}
		return id, hr.n, nil
	}
	return s.putLarge(ctx, hr, buf)
}

// fillPart appends to buf from hr until buf holds limit bytes or hr ends,
// growing buf only as data arrives (a small blob never costs a full part):
// doubling up to growStep, then straight to limit, so a large blob leaves
// little garbage behind its one part-sized buffer.
// eof reports that hr ended. A source error is returned as hr's sticky error.
func fillPart(hr *hashReader, buf []byte, limit int64) (_ []byte, eof bool, _ error) {
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			next := int64(2 * cap(buf))
			if next > growStep {
				next = limit
			}
			grown := make([]byte, len(buf), min(next, limit))
			copy(grown, buf)
			buf = grown
		}
		n, err := hr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, true, nil
		}
		if err != nil {
			return buf, false, err
		}
	}
	return buf, false, nil
}

const growStep = 1 << 20

// putLarge uploads a blob bigger than one part; first holds its first part.
func (s *S3) putLarge(ctx context.Context, hr *hashReader, first []byte) (_ ID, _ int64, err error) {
	tmpKey, err := s.newTempKey()
	if err != nil {
		return "", 0, err
	}
	uploadID, err := s.core.NewMultipartUpload(ctx, s.bucket, tmpKey, minio.PutObjectOptions{})
	if err != nil {
		return "", 0, s.mapErr("put: start multipart upload", tmpKey, err)
	}
	completed := false
	defer func() {
		if err == nil {
			return
		}
		// Clean up on a context that outlives a cancelled ctx; what fails
		// here is left for the stale-temp sweep of NewS3.
		cctx, cancel := cleanupContext(ctx)
		defer cancel()
		var cerr error
		if completed {
			cerr = s.core.RemoveObject(cctx, s.bucket, tmpKey, minio.RemoveObjectOptions{})
		} else {
			cerr = s.core.AbortMultipartUpload(cctx, s.bucket, tmpKey, uploadID)
		}
		if cerr != nil {
			slog.Warn("blobstore: s3 put: cleanup of failed upload", "key", tmpKey, "err", cerr)
		}
	}()

	var parts []minio.CompletePart
	buf, eof := first, false
	for len(buf) > 0 {
		if len(parts) == maxParts {
			return "", 0, fmt.Errorf("blobstore: s3 put: blob exceeds %d parts of %d bytes", maxParts, s.partSize)
		}
		p, err := s.core.PutObjectPart(ctx, s.bucket, tmpKey, uploadID, len(parts)+1, bytes.NewReader(buf), int64(len(buf)), minio.PutObjectPartOptions{})
		if err != nil {
			return "", 0, s.mapErr("put: upload part", tmpKey, err)
		}
		parts = append(parts, completePart(p))
		if eof {
			break
		}
		buf, eof, err = fillPart(hr, buf[:0], s.partSize)
		if err != nil {
			return "", 0, fmt.Errorf("blobstore: s3 put: %w", err)
		}
	}
	if _, err := s.core.CompleteMultipartUpload(ctx, s.bucket, tmpKey, uploadID, parts, minio.PutObjectOptions{}); err != nil {
		return "", 0, s.mapErr("put: complete multipart upload", tmpKey, err)
	}
	completed = true

	id := hr.id()
	_, err = s.core.ComposeObject(ctx,
		minio.CopyDestOptions{Bucket: s.bucket, Object: s.key(id)},
		minio.CopySrcOptions{Bucket: s.bucket, Object: tmpKey})
	if err != nil {
		return "", 0, s.mapErr("put: copy to final key", id, err)
	}
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	if err := s.core.RemoveObject(cctx, s.bucket, tmpKey, minio.RemoveObjectOptions{}); err != nil {
		// The blob is durable under its final key; the temp object is
		// garbage that NewS3's sweep removes later.
		slog.Warn("blobstore: s3 put: removing temp object", "key", tmpKey, "err", err)
	}
	return id, hr.n, nil
}

func completePart(p minio.ObjectPart) minio.CompletePart {
	return minio.CompletePart{
		PartNumber:        p.PartNumber,
		ETag:              p.ETag,
		ChecksumCRC32:     p.ChecksumCRC32,
		ChecksumCRC32C:    p.ChecksumCRC32C,
		ChecksumSHA1:      p.ChecksumSHA1,
		ChecksumSHA256:    p.ChecksumSHA256,
		ChecksumCRC64NVME: p.ChecksumCRC64NVME,
	}
}

func (s *S3) newTempKey() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("blobstore: s3 put: random temp key: %w", err)
	}
	return s.tmpPrefix() + hex.EncodeToString(b[:]), nil
}

// cleanupContext returns a context for undoing a failed operation: it keeps
// ctx's values but not its cancellation, and is bounded on its own.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}
