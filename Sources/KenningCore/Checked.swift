
enum Checked {
    case ok(JSONValue)
    case bad(String)
}
