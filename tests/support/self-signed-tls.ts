// A self-signed certificate for 127.0.0.1, for tests of what a client says about a server it
// cannot trust. Test-only: the key is public, and nothing should ever trust this certificate.
// Made with: openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500
//   -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1"

export const SELF_SIGNED_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgg6DGfPwRL/2gxIlt
IKoFlb7csu4OOx1KI1xv4fxJTWGhRANCAAR3PF6JEvmt8WU2N4hayZmTwDts+6GU
IF/0Xa1OnAmGdfxDc41eFRZpdHbQBPFyXz+YQX+Jwgl1IM//TxMEFksr
-----END PRIVATE KEY-----
`;

export const SELF_SIGNED_CERT = `-----BEGIN CERTIFICATE-----
MIIBkDCCATagAwIBAgIUFlkVQqfXnW1nS+laNarNEO81ufYwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyOTExNTY0NloYDzIxMjYxMTA1
MTE1NjQ2WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAR3PF6JEvmt8WU2N4hayZmTwDts+6GUIF/0Xa1OnAmGdfxDc41eFRZp
dHbQBPFyXz+YQX+Jwgl1IM//TxMEFksro2QwYjAdBgNVHQ4EFgQUR0R0aM/2RD6N
Vu74IRREHMJ8ZnUwHwYDVR0jBBgwFoAUR0R0aM/2RD6NVu74IRREHMJ8ZnUwDwYD
VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0gAMEUC
IQCaXFpLCfKzXYb/EXS7I1sBJeSsbh+zvSdLEhSj8zHjcAIgP52IN4rHKtaev9dj
BCQmTmQNrpwCGHOnBqnZUdohb9U=
-----END CERTIFICATE-----
`;
