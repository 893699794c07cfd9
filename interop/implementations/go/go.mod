module avp-actor-go

go 1.24
