package vouch

deny contains msg if {
	addrs := net.lookup_ip_addr("example.com")
	count(addrs) == 0
	msg := "no address"
}
