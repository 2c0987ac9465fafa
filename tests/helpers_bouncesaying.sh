# bouncesaying(1) and except(1): exit codes and texts
. "$QSRC/tests/lib.sh"
. "$QSRC/tests/lib-helpers.sh"
cd "$HW" || exit 1
printf 'Subject: spam\n\nbuy\n' > msg

run_code "bouncesaying: alone bounces (100)" 100 bouncesaying 'This address no longer accepts mail.' < msg
printf 'This address no longer accepts mail.\n' > want
same "bouncesaying: prints the error text, nothing more" err want
[ -s out ] && notok "bouncesaying: nothing on stdout" || ok "bouncesaying: nothing on stdout"
run_code "bouncesaying: program exits 0: bounces" 100 bouncesaying 'no spam' grep -q spam < msg
grep -qx 'no spam' err && ok "bouncesaying: bounce after program says the text" || notok "bouncesaying: bounce after program says the text"
run_code "bouncesaying: program exits 1: 0" 0 bouncesaying 'no ham' grep -q ham < msg
[ -s err ] && notok "bouncesaying: silent when not bouncing" || ok "bouncesaying: silent when not bouncing"
run_code "bouncesaying: program exits 100: 0" 0 bouncesaying x sh -c 'exit 100' < msg
run_code "bouncesaying: program exits 111: 111" 111 bouncesaying x sh -c 'exit 111' < msg
run_code "bouncesaying: program crashes: 111" 111 bouncesaying x sh -c 'kill -9 $$' < msg
run_code "bouncesaying: program missing: 0" 0 bouncesaying x /nonexistent/prog < msg
run_code "bouncesaying: arguments reach the program" 100 bouncesaying x test a = a < msg
run_code "bouncesaying: no arguments: 100" 100 bouncesaying
grep -q '^bouncesaying: usage: ' err && ok "bouncesaying: usage message" || notok "bouncesaying: usage message"

run_code "except: 0 becomes 100" 100 except true
run_code "except: 1 becomes 0" 0 except false
run_code "except: 100 becomes 0" 0 except sh -c 'exit 100'
run_code "except: 99 becomes 0" 0 except sh -c 'exit 99'
run_code "except: 111 stays 111" 111 except sh -c 'exit 111'
run_code "except: crash is 111" 111 except sh -c 'kill -9 $$'
run_code "except: program reads the message" 100 except grep -q spam < msg
run_code "except: missing program counts as failure: 0" 0 except /nonexistent/prog
run_code "except: no arguments: 100" 100 except
grep -q '^except: usage: ' err && ok "except: usage message" || notok "except: usage message"
run_code "except: composes with bouncesaying" 0 bouncesaying x except grep -q spam < msg
