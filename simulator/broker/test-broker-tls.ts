// The brokers' TLS identity in tests and the simulator: a self-signed P-256 certificate for
// 127.0.0.1 and localhost, valid until 2126. Its private key is published here, so it protects
// nothing but a test: a real broker gets its own certificate and key, never these.

export const TEST_BROKER_TLS = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgfRrdRY5M1l2I9VeF
w5a2Y/+iisSaTHPKo5kLIbUj3XGhRANCAAQmR524s5RmJ2mVX1bfN0v47Uslc1KN
c1S4aj77X6+sWBjw2bNN6N7TF4i2zNu/WQ8PiVU9V+H6PFNdTYwqm8R/
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBpDCCAUugAwIBAgIUco7HAUUZ5plJEgTvhUxzReWttZUwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOZW0tdGVzdC1icm9rZXIwIBcNMjYxMjA0MjAyMDAwWhgPMjEy
NjExMTAyMDIwMDBaMBkxFzAVBgNVBAMMDmVtLXRlc3QtYnJva2VyMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEJkeduLOUZidplV9W3zdL+O1LJXNSjXNUuGo++1+v
rFgY8NmzTeje0xeItszbv1kPD4lVPVfh+jxTXU2MKpvEf6NvMG0wHQYDVR0OBBYE
FGpOkRGR9RO6MqHKWaOm9kH1zeECMB8GA1UdIwQYMBaAFGpOkRGR9RO6MqHKWaOm
9kH1zeECMA8GA1UdEwEB/wQFMAMBAf8wGgYDVR0RBBMwEYcEfwAAAYIJbG9jYWxo
b3N0MAoGCCqGSM49BAMCA0cAMEQCIA5ybLz0uL+ii1lGL5yKaCSnHtp226NSNyyx
jFcHiA8dAiB9CXJlqNrjP3bSGrIF1+rvO6VW2kBdbb7Kv061kXOSMw==
-----END CERTIFICATE-----
`,
};
