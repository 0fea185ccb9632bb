package servertest

// TypedTemplate types the benchmark columns without the two costly rules of
// the demo template (phone parsing and unique columns), to show what the
// pipeline itself costs. The benchmarks of server ingest and of headless
// imports share it, so their figures compare.
const TypedTemplate = `{"columns":[
	{"key":"id","type":"text","required":true},
	{"key":"first_name","type":"text","required":true},
	{"key":"last_name","type":"text"},
	{"key":"email","type":"email","required":true},
	{"key":"phone","type":"text"},
	{"key":"signup_date","type":"date","formats":["YYYY-MM-DD"]},
	{"key":"amount","type":"number"},
	{"key":"country","type":"country"},
	{"key":"active","type":"boolean"},
	{"key":"notes","type":"text","max_length":2000}]}`
