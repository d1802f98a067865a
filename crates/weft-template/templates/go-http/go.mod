module example.com/{{crate_name}}

go 1.19
