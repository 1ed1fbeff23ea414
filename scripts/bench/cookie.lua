-- wrk script: GET with the session cookie (a signed-in page).
wrk.headers["Cookie"] = os.getenv("LATCH_BENCH_COOKIE")
