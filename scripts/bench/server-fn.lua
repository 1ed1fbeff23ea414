-- wrk script: POST a server function (form-encoded, empty body) with the session cookie.
wrk.method = "POST"
wrk.body = ""
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = os.getenv("LATCH_BENCH_COOKIE")
