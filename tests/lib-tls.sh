# tests/lib-tls.sh: certificates for the TLS tests, from a private CA
# made in the test's own directory (never a committed key).
#
# tls_ca DIR: a new CA in DIR (DIR/ca.key, DIR/ca.pem).
# tls_cert DIR NAME [SAN...]: a server certificate signed by DIR's CA,
# subject CN=NAME, subjectAltName DNS:NAME or, given, the SANs (a name, or
# an IPv4/IPv6 address); written as DIR/NAME.pem: the key, then the
# certificate, then the CA's (key and chain in one file, as
# control/servercert.pem wants it).  Both return non-zero on failure.

tls_ca() {	# DIR
	mkdir -p "$1" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1/ca.key" -out "$1/ca.pem" -days 2 -subj "/CN=Test CA $$" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1
}

tls_cert() {	# DIR NAME [SAN...]
	_d=$1 _n=$2; shift 2
	[ $# -gt 0 ] || set -- "$_n"
	_san=
	for _s in "$@"; do
		case $_s in
		*[!0-9.]*) case $_s in *:*) _s="IP:$_s" ;; *) _s="DNS:$_s" ;; esac ;;
		*) _s="IP:$_s" ;;
		esac
		_san="${_san:+$_san,}$_s"
	done
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$_d/$_n.key" -out "$_d/$_n.csr" -subj "/CN=$_n" \
	    >/dev/null 2>&1 || return 1
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
	    "$_san" > "$_d/$_n.ext"
	openssl x509 -req -in "$_d/$_n.csr" -CA "$_d/ca.pem" -CAkey "$_d/ca.key" \
	    -CAcreateserial -days 2 -extfile "$_d/$_n.ext" -out "$_d/$_n.crt" \
	    >/dev/null 2>&1 || return 1
	cat "$_d/$_n.key" "$_d/$_n.crt" "$_d/ca.pem" > "$_d/$_n.pem" &&
	    rm -f "$_d/$_n.csr" "$_d/$_n.ext"
}
