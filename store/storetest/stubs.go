package storetest

import "testing"

var queryCases = map[string]func(*testing.T, Opener){}
var txCases = map[string]func(*testing.T, Opener){}
var injectionCases = map[string]func(*testing.T, Opener){}
var historyCases = map[string]func(*testing.T, Opener){}
var metaCases = map[string]func(*testing.T, Opener){}
var concurrencyCases = map[string]func(*testing.T, Opener){}
