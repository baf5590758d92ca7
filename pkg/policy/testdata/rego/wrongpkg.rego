package acme.images

deny contains "x" if { true }
