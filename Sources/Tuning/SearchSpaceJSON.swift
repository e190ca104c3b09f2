import Foundation

/// A parsed JSON value (used to read Ax-style parameter dictionaries with clear error messages).
enum JSONValue: Codable, Equatable {
    case null, bool(Bool), int(Int), double(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else if let o = try? c.decode([String: JSONValue].self) { self = .object(o) }
        else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "unreadable JSON value") }
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let v): try c.encode(v)
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .array(let v): try c.encode(v)
        case .object(let v): try c.encode(v)
        }
    }
    var number: Double? {
        switch self { case .int(let i): return Double(i); case .double(let d): return d; default: return nil }
    }
    var parameterValue: ParameterValue? {
        switch self {
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .bool(let b): return .bool(b)
        case .string(let s): return .string(s)
        default: return nil
        }
    }
}

/// Ax's parameter dictionary: `name`, `type` (range|choice|fixed), `value_type` (float|int|bool|str),
/// `bounds`, `log_scale`, `values`, `is_ordered`, `value`.
extension Parameter: Codable {
    private struct AnyKey: CodingKey {
        var stringValue: String; var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }

    public init(from decoder: Decoder) throws {
        let obj = try decoder.singleValueContainer().decode([String: JSONValue].self)
        self = try Parameter(axDictionary: obj)
    }

    init(axDictionary obj: [String: JSONValue]) throws {
        guard case .string(let name)? = obj["name"] else { throw TuningError.invalidSpace("a parameter has no string field 'name'") }
        guard case .string(let type)? = obj["type"] else { throw TuningError.invalidSpace("parameter '\(name)': field 'type' (range|choice|fixed) is missing") }
        var valueType: String? = nil
        if let vt = obj["value_type"] {
            guard case .string(let s) = vt, ["float", "int", "bool", "str"].contains(s) else {
                throw TuningError.invalidSpace("parameter '\(name)': field 'value_type' must be one of float, int, bool, str")
            }
            valueType = s
        }
        func flag(_ key: String) throws -> Bool? {
            guard let v = obj[key], v != .null else { return nil }
            guard case .bool(let b) = v else { throw TuningError.invalidSpace("parameter '\(name)': field '\(key)' must be true or false") }
            return b
        }
        func convert(_ v: JSONValue, _ what: String) throws -> ParameterValue {
            guard let p = v.parameterValue else { throw TuningError.invalidSpace("parameter '\(name)': \(what) must be a number, boolean or string") }
            switch (valueType, p) {
            case ("float", .int(let i)): return .double(Double(i))
            case ("float", .double), ("int", .int), ("bool", .bool), ("str", .string), (nil, _): return p
            case ("int", .double(let d)) where d == d.rounded() && abs(d) < 1e15: return .int(Int(d))
            default: throw TuningError.invalidSpace("parameter '\(name)': \(what) \(p) does not match value_type \(valueType!)")
            }
        }
        switch type {
        case "range":
            guard case .array(let b)? = obj["bounds"], b.count == 2, let lo = b[0].number, let hi = b[1].number else {
                throw TuningError.invalidSpace("parameter '\(name)': field 'bounds' must be [low, high]")
            }
            let vt: RangeValueType
            switch valueType {
            case nil, "float": vt = .double
            case "int": vt = .int
            default: throw TuningError.invalidSpace("parameter '\(name)': a range needs value_type float or int")
            }
            self = .range(name: name, low: lo, high: hi, logScale: try flag("log_scale") ?? false, valueType: vt)
        case "choice":
            guard case .array(let vs)? = obj["values"] else { throw TuningError.invalidSpace("parameter '\(name)': field 'values' must be a list") }
            let values = try vs.map { try convert($0, "value") }
            self = .choice(name: name, values: values, ordered: try flag("is_ordered") ?? false)
        case "fixed":
            guard let v = obj["value"] else { throw TuningError.invalidSpace("parameter '\(name)': field 'value' is missing") }
            self = .fixed(name: name, value: try convert(v, "value"))
        default:
            throw TuningError.invalidSpace("parameter '\(name)': unknown type '\(type)' (expected range, choice or fixed)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        try c.encode(name, forKey: AnyKey("name"))
        func vtName(_ v: ParameterValue) -> String {
            switch v { case .int: return "int"; case .double: return "float"; case .bool: return "bool"; case .string: return "str" }
        }
        switch self {
        case let .range(_, low, high, log, vt):
            try c.encode("range", forKey: AnyKey("type"))
            try c.encode(vt == .int ? "int" : "float", forKey: AnyKey("value_type"))
            if vt == .int { try c.encode([Int(low), Int(high)], forKey: AnyKey("bounds")) }
            else { try c.encode([low, high], forKey: AnyKey("bounds")) }
            try c.encode(log, forKey: AnyKey("log_scale"))
        case let .choice(_, values, ordered):
            try c.encode("choice", forKey: AnyKey("type"))
            let anyDouble = values.contains { if case .double = $0 { return true }; return false }
            try c.encode(anyDouble ? "float" : vtName(values[0]), forKey: AnyKey("value_type"))
            try c.encode(values, forKey: AnyKey("values"))
            try c.encode(ordered, forKey: AnyKey("is_ordered"))
        case let .fixed(_, v):
            try c.encode("fixed", forKey: AnyKey("type"))
            try c.encode(vtName(v), forKey: AnyKey("value_type"))
            try c.encode(v, forKey: AnyKey("value"))
        }
    }
}

extension SearchSpace: Codable {
    /// Decodes either a list of Ax parameter dictionaries or an object with a `parameters` list.
    /// (A saved tuner state may hold an all-fixed space; `parse`/`load` of a user's file reject it.)
    public init(from decoder: Decoder) throws {
        let root = try decoder.singleValueContainer().decode(JSONValue.self)
        try self.init(json: root, allowAllFixed: true)
    }

    init(json root: JSONValue, allowAllFixed: Bool = false) throws {
        let list: [JSONValue]
        switch root {
        case .array(let a): list = a
        case .object(let o):
            guard case .array(let a)? = o["parameters"] else {
                throw TuningError.invalidSpace("expected a list of parameters or an object with a 'parameters' list")
            }
            list = a
        default: throw TuningError.invalidSpace("expected a list of parameters or an object with a 'parameters' list")
        }
        let params = try list.enumerated().map { (i, v) -> Parameter in
            guard case .object(let o) = v else { throw TuningError.invalidSpace("parameter #\(i) is not a JSON object") }
            return try Parameter(axDictionary: o)
        }
        try self.init(parameters: params, allowAllFixed: allowAllFixed)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(parameters, forKey: .parameters)
    }
    private enum CodingKeys: String, CodingKey { case parameters }

    /// Reads a space from a JSON file (Ax parameter dictionaries; see `init(from:)`).
    /// - Throws: `TuningError.invalidSpace` with the file name and the problem.
    public static func load(from url: URL) throws -> SearchSpace {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TuningError.invalidSpace("\(url.path): cannot read the file")
        }
        return try parse(data, source: url.path)
    }

    /// Parses a space from JSON data; `source` names it in error messages.
    public static func parse(_ data: Data, source: String = "search space") throws -> SearchSpace {
        let root: JSONValue
        guard UTF8JSON.isUTF8(data) else { throw TuningError.invalidSpace("\(source): not UTF-8 text (JSON must be UTF-8)") }
        do { root = try UTF8JSON.decode(JSONValue.self, from: data) } catch {
            throw TuningError.invalidSpace("\(source): not valid JSON")
        }
        do { return try SearchSpace(json: root) } catch TuningError.invalidSpace(let m) {
            // Names and types are echoed from the file; JSON escapes can put line breaks in them.
            let oneLine = m.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
            throw TuningError.invalidSpace("\(source): \(oneLine)")
        }
    }
}
