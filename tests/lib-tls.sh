# tests/lib-tls.sh: certificates for the TLS tests from a private CA made
# with openssl(1) inside the test's scratch directory; no key is ever
# committed.  Keys are EC P-256, quick to generate.
#   tls_ca DIR                 the CA: DIR/ca.pem and its key DIR/ca.key
#   tls_cert DIR NAME [SAN...] DIR/NAME.pem: the key, then the certificate
#                              signed by DIR's CA, then DIR/ca.pem; the
#                              subject alternative names are the SANs
#                              (host names or IP addresses), NAME when
#                              none is given
# Each returns openssl's exit status; what openssl says goes to
# DIR/openssl.log.

tls_ca() {	# DIR
	mkdir -p "$1" || return 1
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 3 -subj "/CN=private test CA $$ $(date +%s)" \
	    -keyout "$1/ca.key" -out "$1/ca.pem" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    >> "$1/openssl.log" 2>&1
}

tls_cert() {	# DIR NAME [SAN...]
	_td=$1 _tn=$2
	shift 2
	[ $# -gt 0 ] || set -- "$_tn"
	_alt=
	for _a in "$@"; do
		case $_a in
		*:*|*[0-9].[0-9]*.[0-9]*.[0-9]) _alt="$_alt,IP:$_a" ;;
		*) _alt="$_alt,DNS:$_a" ;;
		esac
	done
	{
		echo "basicConstraints=CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		echo "extendedKeyUsage=serverAuth,clientAuth"
		echo "subjectAltName=${_alt#,}"
	} > "$_td/$_tn.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -subj "/CN=$_tn" -keyout "$_td/$_tn.key" \
	    -out "$_td/$_tn.csr" >> "$_td/openssl.log" 2>&1 &&
	openssl x509 -req -days 3 -in "$_td/$_tn.csr" -CA "$_td/ca.pem" \
	    -CAkey "$_td/ca.key" -CAcreateserial -extfile "$_td/$_tn.ext" \
	    -out "$_td/$_tn.crt" >> "$_td/openssl.log" 2>&1 &&
	cat "$_td/$_tn.key" "$_td/$_tn.crt" "$_td/ca.pem" > "$_td/$_tn.pem"
}
