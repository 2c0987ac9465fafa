# tests/lib-tls.sh: a private CA and certificates for the TLS tests, made
# with openssl(1) in the test's scratch space (never committed).  EC P-256
# keys: fast to make.
#   tls_ca DIR			DIR/ca.pem (certificate), DIR/ca.key
#   tls_cert DIR NAME [SAN...]	DIR/NAME.pem: key, certificate, CA
#				certificate; signed by DIR's CA.  Each SAN
#				is a host name or an IP address (default:
#				NAME).  Good for servers and clients.
# Both return openssl's status; its chatter goes to DIR/openssl.log.

tls_ca() {
	mkdir -p "$1" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1/ca.key" -out "$1/ca.pem" -days 2 -subj "/CN=qmail test CA $$" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" >> "$1/openssl.log" 2>&1
}

tls_cert() {
	_d=$1 _n=$2; shift 2
	[ $# -gt 0 ] || set -- "$_n"
	_san=
	for _s in "$@"; do
		case $_s in
		*:*|[0-9]*.[0-9]*.[0-9]*.[0-9]*) _san="$_san${_san:+,}IP:$_s" ;;
		*) _san="$_san${_san:+,}DNS:$_s" ;;
		esac
	done
	printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' \
	    "$_san" > "$_d/$_n.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$_d/$_n.key" -out "$_d/$_n.csr" -subj "/CN=$_n" >> "$_d/openssl.log" 2>&1 &&
	openssl x509 -req -in "$_d/$_n.csr" -CA "$_d/ca.pem" -CAkey "$_d/ca.key" \
	    -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" -days 2 \
	    -extfile "$_d/$_n.ext" -out "$_d/$_n.crt" >> "$_d/openssl.log" 2>&1 &&
	cat "$_d/$_n.key" "$_d/$_n.crt" "$_d/ca.pem" > "$_d/$_n.pem"
}
