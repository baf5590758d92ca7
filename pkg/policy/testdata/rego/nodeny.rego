package vouch

allow if { input.config.os == "linux" }
