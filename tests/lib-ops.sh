# tests/lib-ops.sh: helpers for the ops tests (qmail-qread, qmail-qstat,
# qmail-showctl, the local instance).  Source after tests/lib.sh.

# ops_split: the queue split of the installed home
ops_split() { ls -d "$QHOME"/queue/info/* | wc -l; }

# ops_fake_msg TIME SIZE SENDER LOCAL REMOTE: make one preprocessed message
# (state S5) by hand, as qmail-send leaves it; prints its id.  TIME is the
# info file's mtime (seconds since the epoch); LOCAL and REMOTE are
# recipient lists separated by spaces, each address prefixed with T (to
# do) or D (done); an empty list means no such file.
ops_fake_msg() {
	_q=$QHOME/queue _sp=$(ops_split)
	_tmp=$_q/pid/fake.$$
	head -c "$2" /dev/zero | tr '\0' x > "$_tmp"
	_id=$(stat -c %i "$_tmp") _s=$((_id % _sp))
	mv "$_tmp" "$_q/mess/$_s/$_id"
	printf 'F%s\0' "$3" > "$_q/info/$_s/$_id"
	touch -d "@$1" "$_q/info/$_s/$_id"
	if [ -n "$4" ]; then : > "$_q/local/$_s/$_id"
		for _r in $4; do printf '%s\0' "$_r" >> "$_q/local/$_s/$_id"; done; fi
	if [ -n "$5" ]; then : > "$_q/remote/$_s/$_id"
		for _r in $5; do printf '%s\0' "$_r" >> "$_q/remote/$_s/$_id"; done; fi
	echo "$_id"
}

# ops_fake_todo: make one message that is queued but not preprocessed
# (state S4); prints its id
ops_fake_todo() {
	_q=$QHOME/queue _sp=$(ops_split)
	_tmp=$_q/pid/fake.$$
	echo hello > "$_tmp"
	_id=$(stat -c %i "$_tmp") _s=$((_id % _sp))
	mv "$_tmp" "$_q/mess/$_s/$_id"
	printf 'u0\0p1\0Fa@b\0Tc@d\0\0' > "$_q/todo/$_id"
	echo "$_id"
}

# ops_empty_queue: remove every queue file (not the directories)
ops_empty_queue() {
	for _d in pid intd todo bounce mess info local remote; do
		find "$QHOME/queue/$_d" -type f -exec rm -f {} + 2>/dev/null
	done
}
