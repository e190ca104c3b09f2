import Foundation

/// A concrete value of one parameter. Encoded in JSON as the bare value (`64`, `0.001`, `true`, `"relu"`).
public enum ParameterValue: Hashable, Codable, CustomStringConvertible, Sendable {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected a number, boolean or string")
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        }
    }

    /// Numeric view (ints and doubles; booleans as 0/1); nil for strings.
    public var doubleValue: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .double(let v): return v
        case .bool(let v): return v ? 1 : 0
        case .string: return nil
        }
    }

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return "\(v)"
        case .bool(let v): return v ? "true" : "false"
        case .string(let v): return v
        }
    }

    /// Equality that treats int 3 and double 3.0 as the same value.
    func sameValue(as other: ParameterValue) -> Bool {
        if self == other { return true }
        if case .string = self { return false }
        if case .string = other { return false }
        if case .bool = self { return false }
        if case .bool = other { return false }
        return doubleValue == other.doubleValue
    }
}

/// Numeric type of a range parameter.
public enum RangeValueType: String, Codable, Sendable {
    case double, int
}

/// One parameter of a search space.
public enum Parameter: Equatable, Sendable {
    /// A numeric interval [low, high], searched linearly or in log space (then low > 0).
    case range(name: String, low: Double, high: Double, logScale: Bool = false, valueType: RangeValueType = .double)
    /// A finite set of values. `ordered` choices are searched as one ordinal axis, unordered ones one-hot.
    case choice(name: String, values: [ParameterValue], ordered: Bool = false)
    /// A parameter that always takes the same value.
    case fixed(name: String, value: ParameterValue)

    public var name: String {
        switch self {
        case .range(let n, _, _, _, _), .choice(let n, _, _), .fixed(let n, _): return n
        }
    }
}

/// How one parameter maps onto the unit cube the model works in.
enum EncodingKind: Equatable {
    case continuous(low: Double, high: Double, log: Bool)   // one dim
    case integer(low: Int, high: Int, log: Bool)            // one dim, rounded on decode
    case ordinal(count: Int)                                // one dim, index/(count-1)
    case binary                                             // one dim, 0 or 1 (unordered, 2 values)
    case oneHot(count: Int)                                 // count dims
    case constant                                           // no dims
}

struct EncodedParameter {
    let parameter: Parameter
    let kind: EncodingKind
    let offset: Int   // first encoded dimension
    var width: Int {
        switch kind {
        case .continuous, .integer, .ordinal, .binary: return 1
        case .oneHot(let c): return c
        case .constant: return 0
        }
    }
}

/// A validated search space. Parameters keep their order (it fixes the encoding and the Sobol axes).
public struct SearchSpace: Equatable, Sendable {
    public let parameters: [Parameter]

    /// Validates and builds a search space.
    /// - Parameter allowAllFixed: accept a space whose parameters are all fixed (one point; a
    ///   pipeline whose hyperparameters were all given). Spaces read from a user's JSON never are.
    /// - Throws: `TuningError.invalidSpace` naming the parameter and the problem.
    public init(parameters: [Parameter], allowAllFixed: Bool = false) throws {
        guard !parameters.isEmpty else { throw TuningError.invalidSpace("no parameters") }
        var seen = Set<String>()
        var tunable = 0
        for p in parameters {
            let n = p.name
            guard !n.isEmpty else { throw TuningError.invalidSpace("a parameter has an empty name") }
            guard seen.insert(n).inserted else { throw TuningError.invalidSpace("parameter '\(n)' is defined twice") }
            switch p {
            case let .range(_, low, high, logScale, valueType):
                guard low.isFinite && high.isFinite else { throw TuningError.invalidSpace("parameter '\(n)': bounds must be finite") }
                guard low < high else { throw TuningError.invalidSpace("parameter '\(n)': low bound \(low) must be < high bound \(high)") }
                if logScale && low <= 0 { throw TuningError.invalidSpace("parameter '\(n)': log-scale bounds must be > 0 (low is \(low))") }
                if valueType == .int {
                    guard low == low.rounded() && high == high.rounded() else {
                        throw TuningError.invalidSpace("parameter '\(n)': integer range needs integer bounds, got [\(low), \(high)]")
                    }
                    guard abs(low) < 1e15 && abs(high) < 1e15 else { throw TuningError.invalidSpace("parameter '\(n)': integer bounds too large") }
                }
                tunable += 1
            case let .choice(_, values, _):
                guard values.count >= 2 else {
                    throw TuningError.invalidSpace("parameter '\(n)': a choice needs at least 2 values (got \(values.count)); use a fixed parameter for one")
                }
                for (i, v) in values.enumerated() {
                    if case .double(let d) = v, !d.isFinite { throw TuningError.invalidSpace("parameter '\(n)': value \(d) is not finite") }
                    for w in values[..<i] where w.sameValue(as: v) {
                        throw TuningError.invalidSpace("parameter '\(n)': value \(v) is listed twice")
                    }
                }
                let kinds = Set(values.map { v -> Int in
                    switch v { case .int, .double: return 0; case .bool: return 1; case .string: return 2 } })
                guard kinds.count == 1 else { throw TuningError.invalidSpace("parameter '\(n)': choice values mix types") }
                tunable += 1
            case .fixed(_, let v):
                if case .double(let d) = v, !d.isFinite { throw TuningError.invalidSpace("parameter '\(n)': fixed value \(d) is not finite") }
            }
        }
        guard tunable > 0 || allowAllFixed else { throw TuningError.invalidSpace("every parameter is fixed: nothing to tune") }
        self.parameters = parameters
        let enc = SearchSpace.makeEncoding(parameters)
        guard enc.dims <= SobolSequence.maxDimension else {
            throw TuningError.invalidSpace("the space encodes to \(enc.dims) dimensions; at most \(SobolSequence.maxDimension) are supported")
        }
    }

    // MARK: encoding onto the unit cube

    static func makeEncoding(_ parameters: [Parameter]) -> (params: [EncodedParameter], dims: Int) {
        var out = [EncodedParameter]()
        var offset = 0
        for p in parameters {
            let kind: EncodingKind
            switch p {
            case let .range(_, low, high, log, vt):
                kind = vt == .int ? .integer(low: Int(low), high: Int(high), log: log) : .continuous(low: low, high: high, log: log)
            case let .choice(_, values, ordered):
                if ordered { kind = .ordinal(count: values.count) }
                else if values.count == 2 { kind = .binary }
                else { kind = .oneHot(count: values.count) }
            case .fixed: kind = .constant
            }
            let e = EncodedParameter(parameter: p, kind: kind, offset: offset)
            offset += e.width
            out.append(e)
        }
        return (out, offset)
    }

    var encoded: [EncodedParameter] { SearchSpace.makeEncoding(parameters).params }
    /// Number of dimensions of the unit cube the model works in.
    public var encodedDimension: Int { SearchSpace.makeEncoding(parameters).dims }

    /// Maps a point of the unit cube to a valid assignment (rounding integers, snapping choices).
    public func decode(_ x: [Double]) -> [String: ParameterValue] {
        var out = [String: ParameterValue]()
        for e in encoded {
            let u = e.width > 0 ? min(max(x[e.offset], 0), 1) : 0
            switch (e.kind, e.parameter) {
            case let (.continuous(low, high, log), _):
                var v = log ? Foundation.exp(Foundation.log(low) + u * (Foundation.log(high) - Foundation.log(low))) : low + u * (high - low)
                v = min(max(v, low), high)
                out[e.parameter.name] = .double(v)
            case let (.integer(low, high, log), _):
                let lo = Double(low), hi = Double(high)
                let v = log ? Foundation.exp(Foundation.log(lo) + u * (Foundation.log(hi) - Foundation.log(lo))) : lo + u * (hi - lo)
                out[e.parameter.name] = .int(Int(min(max(v.rounded(), lo), hi)))
            case let (.ordinal(count), .choice(_, values, _)):
                out[e.parameter.name] = values[Int((u * Double(count - 1)).rounded())]
            case let (.binary, .choice(_, values, _)):
                out[e.parameter.name] = values[u >= 0.5 ? 1 : 0]
            case let (.oneHot(count), .choice(_, values, _)):
                var best = 0
                for k in 1..<count where x[e.offset + k] > x[e.offset + best] { best = k }
                out[e.parameter.name] = values[best]
            case let (.constant, .fixed(_, v)):
                out[e.parameter.name] = v
            default:
                break
            }
        }
        return out
    }

    /// Maps a valid assignment onto the unit cube. Throws if a value is missing or invalid.
    public func encode(_ assignment: [String: ParameterValue]) throws -> [Double] {
        var x = [Double](repeating: 0, count: encodedDimension)
        let checked = try validate(assignment)
        for e in encoded {
            let v = checked[e.parameter.name]!
            switch (e.kind, e.parameter) {
            case let (.continuous(low, high, log), _):
                let d = v.doubleValue!
                x[e.offset] = log ? (Foundation.log(d) - Foundation.log(low)) / (Foundation.log(high) - Foundation.log(low)) : (d - low) / (high - low)
            case let (.integer(low, high, log), _):
                let d = v.doubleValue!, lo = Double(low), hi = Double(high)
                x[e.offset] = log ? (Foundation.log(d) - Foundation.log(lo)) / (Foundation.log(hi) - Foundation.log(lo)) : (d - lo) / (hi - lo)
            case let (.ordinal(count), .choice(_, values, _)):
                let i = values.firstIndex { $0.sameValue(as: v) }!
                x[e.offset] = Double(i) / Double(count - 1)
            case let (.binary, .choice(_, values, _)):
                x[e.offset] = values[1].sameValue(as: v) ? 1 : 0
            case let (.oneHot, .choice(_, values, _)):
                let i = values.firstIndex { $0.sameValue(as: v) }!
                x[e.offset + i] = 1
            default:
                break
            }
        }
        return x
    }

    /// Checks an assignment against the space and returns it with canonical types
    /// (e.g. a JSON `64` for a float range becomes `.double(64)`).
    public func validate(_ assignment: [String: ParameterValue]) throws -> [String: ParameterValue] {
        var out = [String: ParameterValue]()
        for p in parameters {
            guard let v = assignment[p.name] else { throw TuningError.invalidRequest("parameter '\(p.name)' is missing") }
            switch p {
            case let .range(n, low, high, _, vt):
                if case .bool = v { throw TuningError.invalidRequest("parameter '\(n)': \(v) is not a number") }
                guard let d = v.doubleValue else { throw TuningError.invalidRequest("parameter '\(n)': \(v) is not a number") }
                guard d >= low && d <= high else { throw TuningError.invalidRequest("parameter '\(n)': \(d) is outside [\(low), \(high)]") }
                if vt == .int {
                    guard d == d.rounded() else { throw TuningError.invalidRequest("parameter '\(n)': \(d) is not an integer") }
                    out[n] = .int(Int(d))
                } else { out[n] = .double(d) }
            case let .choice(n, values, _):
                guard let w = values.first(where: { $0.sameValue(as: v) }) else {
                    throw TuningError.invalidRequest("parameter '\(n)': \(v) is not one of \(values.map { $0.description })")
                }
                out[n] = w
            case let .fixed(n, w):
                guard w.sameValue(as: v) else { throw TuningError.invalidRequest("parameter '\(n)': fixed to \(w), got \(v)") }
                out[n] = w
            }
        }
        let extra = Set(assignment.keys).subtracting(parameters.map { $0.name })
        if let e = extra.sorted().first { throw TuningError.invalidRequest("parameter '\(e)' is not in the search space") }
        return out
    }

    /// The centre of the space: mid-point of each range (geometric mid-point on log scale),
    /// middle element of ordered choices, first element of unordered choices.
    public func center() -> [String: ParameterValue] {
        var x = [Double](repeating: 0.5, count: encodedDimension)
        for e in encoded {
            if case .oneHot(let c) = e.kind { for k in 0..<c { x[e.offset + k] = k == 0 ? 1 : 0 } }
            if case .binary = e.kind { x[e.offset] = 0 }
            if case .ordinal(let c) = e.kind { x[e.offset] = Double((c - 1) / 2) / Double(c - 1) }
        }
        return decode(x)
    }
}
