// A Docker Cloud stream client the way go-dockercloud 1.0.x talks, on gorilla/websocket (Debian's
// golang-github-gorilla-websocket-dev), the library it was built on. Not the SDK (its code is not
// ours to ship), but what it sends, written from protocol.md and the SDK's documented behaviour:
//
//   - DOCKERCLOUD_STREAM_HOST with its port made explicit (ws://host becomes ws://host:80/), then
//     "api/audit/v1/[namespace/]events", no trailing slash;
//   - the filter as url.Values: type, object, and parents joined with "," (percent-encoded);
//   - "Authorization: Basic ..." and a go-dockercloud User-Agent, a cookie jar on the dialer;
//   - a ping every period from another goroutine than the reader, and a read deadline that each
//     pong moves on: a server that stops answering pings ends the connection.
//
// Usage: docker_cloud_client COUNT PING_MS. One JSON line per result on stdout: {"open":true},
// then {"event":{...}} per event, and at the end {"pongs":N}; {"error":...,"status":N} if the
// handshake is refused.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

type event struct {
	Type        string   `json:"type"`
	Action      string   `json:"action"`
	Parents     []string `json:"parents"`
	ResourceURI string   `json:"resource_uri"`
	State       string   `json:"state"`
	UUID        string   `json:"uuid"`
	Datetime    string   `json:"datetime"`
}

func out(value interface{}) {
	line, _ := json.Marshal(value)
	fmt.Println(string(line))
}

func streamURL() string {
	u, err := url.Parse(os.Getenv("DOCKERCLOUD_STREAM_HOST"))
	if err != nil {
		out(map[string]string{"error": err.Error()})
		os.Exit(2)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		host = u.Host
	}
	if port == "" {
		port = "80"
		if strings.ToLower(u.Scheme) == "wss" {
			port = "443"
		}
	}
	endpoint := "api/audit/v1/events"
	if namespace := os.Getenv("DOCKERCLOUD_NAMESPACE"); namespace != "" {
		endpoint = "api/audit/v1/" + namespace + "/events"
	}
	query := url.Values{}
	if object := os.Getenv("FILTER_OBJECT"); object != "" {
		query.Set("object", object)
	}
	if eventType := os.Getenv("FILTER_TYPE"); eventType != "" {
		query.Set("type", eventType)
	}
	if parents := os.Getenv("FILTER_PARENTS"); parents != "" {
		query.Set("parents", strings.Join(strings.Fields(parents), ","))
	}
	full := fmt.Sprintf("%s://%s/%s", u.Scheme, net.JoinHostPort(host, port), endpoint)
	if encoded := query.Encode(); encoded != "" {
		full += "?" + encoded
	}
	return full
}

func main() {
	count, _ := strconv.Atoi(os.Args[1])
	pingMs, _ := strconv.Atoi(os.Args[2])
	pingPeriod := time.Duration(pingMs) * time.Millisecond
	pongWait := 2 * pingPeriod

	header := http.Header{}
	credentials := os.Getenv("DOCKERCLOUD_USER") + ":" + os.Getenv("DOCKERCLOUD_APIKEY")
	header.Add("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(credentials)))
	header.Add("User-Agent", "go-dockercloud/1.0.8")
	jar, _ := cookiejar.New(nil)
	dialer := websocket.Dialer{Jar: jar}
	ws, resp, err := dialer.Dial(streamURL(), header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		out(map[string]interface{}{"error": err.Error(), "status": status})
		return
	}
	defer ws.Close()
	out(map[string]bool{"open": true})

	var pongs int64
	ws.SetReadDeadline(time.Now().Add(pongWait))
	ws.SetPongHandler(func(string) error {
		atomic.AddInt64(&pongs, 1)
		return ws.SetReadDeadline(time.Now().Add(pongWait))
	})
	done := make(chan struct{})
	go func() {
		ticker := time.NewTicker(pingPeriod)
		defer ticker.Stop()
		for {
			select {
			case <-ticker.C:
				if err := ws.WriteMessage(websocket.PingMessage, []byte{}); err != nil {
					return
				}
			case <-done:
				return
			}
		}
	}()

	for received := 0; received < count; {
		var message event
		if err := ws.ReadJSON(&message); err != nil {
			out(map[string]string{"error": err.Error()})
			break
		}
		out(map[string]event{"event": message})
		received++
	}
	close(done)
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	out(map[string]int64{"pongs": atomic.LoadInt64(&pongs)})
}
