package yardstick

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/githedgehog/fgd-sync/internal/testredis"
	"github.com/githedgehog/fgd-sync/redisconn"
)

// TestReceiver: the yardstick does the work it stands for, no less: a
// signed push is one task under its delivery id, a redelivery is not a
// second, other events and bad signatures enqueue nothing.
func TestReceiver(t *testing.T) {
	rs := testredis.New(t)
	rdb, err := redisconn.Open(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	inspector := asynq.NewInspectorFromRedisClient(rdb)
	queue := testredis.Unique("yardstick")
	t.Cleanup(func() { _ = inspector.DeleteQueue(queue, true) })
	srv := httptest.NewServer(Router(&Receiver{Secret: []byte("s3cret"), Queue: asynq.NewClientFromRedisClient(rdb), QueueName: queue}))
	t.Cleanup(srv.Close)

	pushBody := []byte(`{"ref":"refs/heads/main","before":"6113728","after":"0d1a26e","repository":{"full_name":"acme/x"}}`)
	delivery := testredis.Unique("yardstick")
	tests := []struct {
		name, event, delivery, secret string
		body                          []byte
		status                        int
	}{
		{"signed push", "push", delivery, "s3cret", pushBody, http.StatusAccepted},
		{"the same delivery again", "push", delivery, "s3cret", pushBody, http.StatusOK},
		{"a ping", "ping", testredis.Unique("ping"), "s3cret", []byte(`{"zen":"x"}`), http.StatusOK},
		{"a bad signature", "push", testredis.Unique("bad"), "guess", pushBody, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/github", bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-GitHub-Event", tc.event)
			req.Header.Set("X-GitHub-Delivery", tc.delivery)
			m := hmac.New(sha256.New, []byte(tc.secret))
			m.Write(tc.body)
			req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("%d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
	tasks, err := inspector.ListPendingTasks(queue)
	if err != nil || len(tasks) != 1 || tasks[0].ID != delivery || tasks[0].Type != TypePush {
		t.Fatalf("pending tasks %v %v, want one %s task with id %s", tasks, err, TypePush, delivery)
	}
}
