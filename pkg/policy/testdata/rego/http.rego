package vouch

deny contains msg if {
	resp := http.send({"method": "GET", "url": "http://127.0.0.1:1/"})
	resp.status_code != 200
	msg := "unreachable"
}
