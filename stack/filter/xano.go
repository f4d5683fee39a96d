package filter

import (
	"sort"
	"strings"
)

// xanoNames is every filter name Xano documents, aliases included: the "Expression
// Filter Reference" of xano-inc/xano-developer-mcp (src/xanoscript_docs/expressions/
// filters.md, 210 filters) and the filters the other pages of those docs name
// (syntax/array-filters.md, syntax/string-filters.md, syntax/functions.md, and the
// db.query filters of syntax.md). It lets a workspace's author tell a Xano filter that
// relaybase does not run from a name that is no filter at all (a typo, or another
// language's name such as "lowercase").
var xanoNames = map[string]bool{}

func init() {
	for _, group := range []string{
		// math
		`deg2rad rad2deg number_format sin asin asinh cos acos acosh tan atan atanh sinh cosh tanh
		floor ceil round abs sqrt exp log log10 ln pow array_min min array_max max num_min num_max
		sum avg product add subtract sub multiply mul modulus mod divide div bitwise_and bitwise_or
		bitwise_xor`,
		// array
		`first last count range reverse unique safe_array flatten filter_empty filter_empty_text
		filter_empty_array filter_empty_object filter_null filter_zero filter_false sort fsort
		shuffle array_shuffle diff array_diff diff_assoc array_diff_assoc intersect array_intersect
		intersect_assoc array_intersect_assoc merge array_merge merge_recursive array_merge_recursive
		index_by push array_push pop array_pop unshift array_unshift shift array_shift remove
		array_remove append prepend join slice array_slice keys array_keys values array_values
		entries array_entries map filter some every find findIndex reduce pick unpick lambda
		lambda_map lambda_filter lambda_some lambda_every lambda_find lambda_findIndex lambda_reduce`,
		// comparison
		`equals eq not_equals ne greater_than gt greater_than_or_equal gte less_than lt
		less_than_or_equal lte odd even in not bitwise_not is_null null is_empty empty is_object
		is_array is_int is_decimal is_bool is_text`,
		// text
		`addslashes escape text_escape text_unescape list_encodings detect_encoding to_utf8
		from_utf8 convert_encoding to_lower lower to_upper upper trim ltrim rtrim capitalize substr
		split strlen strip_html strip_tags unaccent strip_accents index strpos iindex stripos
		starts_with istarts_with ends_with iends_with contains icontains url_addarg url_delarg
		url_hasarg url_getarg url_parse querystring_parse concat sprintf replace string_replace
		regex_matches regex_test regex_get_first_match regex_match regex_get_all_matches
		regex_match_all regex_quote regex_replace`,
		// manipulation
		`set set_conditional set_ifnotempty set_ifnotnull first_notnull first_notempty unset
		transform get has fill array_fill fill_keys array_fill_keys`,
		// transform
		`to_expr to_text to_int to_decimal to_bool to_timestamp to_epochms to_ms to_epoch_ms
		to_seconds to_epoch_sec to_minutes to_epoch_minute to_hours to_epoch_hour to_days
		to_epoch_day create_object create_object_from_entries json_decode json_encode xml_decode
		csv_parse csv_decode csv_encode csv_create url_decode url_decode_rfc3986 url_encode
		url_encode_rfc3986 yaml_decode yaml_encode hex2bin bin2hex dechex hexdec decbin bindec
		decoct octdec base_convert base64_decode base64_encode base64_decode_urlsafe
		base64_encode_urlsafe`,
		// security
		`encrypt decrypt jws_encode crypto_jws_encode jws_decode crypto_jws_decode jwe_encode
		crypto_jwe_encode jwe_decode crypto_jwe_decode secureid_encode secureid_decode md5 sha1
		sha256 sha384 sha512 hmac_md5 hmac_sha1 hmac_sha256 hmac_sha384 hmac_sha512 uuid uuid4`,
		// timestamp
		`parse_timestamp epochms_from_format format_timestamp epochms_date transform_timestamp
		epochms_transform add_secs_to_timestamp epochms_add_secs add_ms_to_timestamp epochms_add_ms
		timestamp_year timestamp_month timestamp_week timestamp_day_of_month timestamp_day_of_week
		timestamp_day_of_year timestamp_hour timestamp_minute timestamp_epoch_seconds
		timestamp_epoch_ms`,
		// db.query
		`includes overlaps between within distance search_rank cosine_similarity
		l1_distance_manhattan l2_distance_euclidean negative_inner_product inner_product covers`,
	} {
		for _, n := range strings.Fields(group) {
			xanoNames[n] = true
		}
	}
	// The db.query timestamp arithmetic comes in families: timestamp_add_days,
	// timestamp_subtract_hours, ...
	for _, op := range []string{"add", "subtract"} {
		for _, unit := range []string{"seconds", "minutes", "hours", "days", "weeks", "months", "years"} {
			xanoNames["timestamp_"+op+"_"+unit] = true
		}
	}
}

// IsXano reports whether name is a filter of Xano's documented XanoScript, whether or
// not this package runs it.
func IsXano(name string) bool { return xanoNames[name] || registry[name] != nil }

// XanoNames returns every documented Xano filter name, aliases included, sorted.
func XanoNames() []string {
	out := make([]string, 0, len(xanoNames))
	for n := range xanoNames {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Suggest returns the filter this package runs whose name is nearest to name (a likely
// typo or another language's spelling: "lowercase" gives "lower"), or "" when none is
// near.
func Suggest(name string) string {
	best, bestD := "", -1
	for cand := range registry {
		d := distance(name, cand)
		near := d <= max(2, len(name)/4)
		if len(cand) >= 4 && 2*len(cand) >= len(name) && (strings.HasPrefix(name, cand) || strings.HasSuffix(name, cand)) {
			near, d = true, len(name)-len(cand)
		}
		if near && (bestD < 0 || d < bestD || d == bestD && cand < best) {
			best, bestD = cand, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b, in bytes (filter names are ASCII).
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
