import Foundation

/// How closely a run's outputs follow the unoptimized model's on the same samples: computed over every output value
/// of each compared sample, so it needs only a few of them to be kept raw in a measurements file.
public struct OutputFidelity: Sendable, Equatable {
    /// Samples compared.
    public var samples: Int
    /// Largest |run − reference| over every value.
    public var maxAbsDifference: Double
    /// Largest |run − reference| of a sample divided by that sample's largest |reference| value.
    public var maxRelativeDifference: Double
    /// Smallest cosine similarity between a sample's output and its reference (1: same direction).
    public var minCosineSimilarity: Double
    /// Share of samples whose largest output is at the same position as the reference's.
    public var argmaxAgreement: Double
    /// Whether some sample's output has another length than its reference.
    public var lengthsDiffer: Bool

    /// Compares `outputs` with `reference`, sample by sample, over the samples both have.
    public init(outputs: [[Float]], reference: [[Double]]) {
        let n = min(outputs.count, reference.count)
        samples = n
        lengthsDiffer = outputs.count < reference.count || zip(outputs, reference).contains { $0.count != $1.count }
        var maxAbs = 0.0, maxRel = 0.0, minCos = 1.0, agree = 0
        for (out, ref) in zip(outputs.prefix(n), reference.prefix(n)) {
            var worst = 0.0, scale = 0.0, dot = 0.0, a2 = 0.0, b2 = 0.0
            var bestOut = -Double.infinity, bestRef = -Double.infinity, atOut = 0, atRef = 0
            for (k, (x, y)) in zip(out, ref).enumerated() {
                let a = Double(x)
                worst = max(worst, abs(a - y))
                scale = max(scale, abs(y))
                dot += a * y
                a2 += a * a
                b2 += y * y
                if a > bestOut { (bestOut, atOut) = (a, k) }
                if y > bestRef { (bestRef, atRef) = (y, k) }
            }
            maxAbs = max(maxAbs, worst)
            maxRel = max(maxRel, scale > 0 ? worst / scale : worst)
            minCos = min(minCos, a2 > 0 && b2 > 0 ? dot / (a2.squareRoot() * b2.squareRoot()) : (a2 == b2 ? 1 : 0))
            if atOut == atRef { agree += 1 }
        }
        maxAbsDifference = maxAbs
        maxRelativeDifference = maxRel
        minCosineSimilarity = minCos
        argmaxAgreement = n > 0 ? Double(agree) / Double(n) : 0
    }

    public init?(json: JSONValue?) {
        guard let json, let n = json["samples"]?.intValue, let abs = json["max_abs_diff"]?.doubleValue else { return nil }
        samples = n
        maxAbsDifference = abs
        maxRelativeDifference = json["max_rel_diff"]?.doubleValue ?? abs
        minCosineSimilarity = json["cosine_min"]?.doubleValue ?? 1
        argmaxAgreement = json["argmax_agreement"]?.doubleValue ?? 1
        lengthsDiffer = json["lengths_differ"]?.boolValue ?? false
    }

    /// Its entry in a measurements file.
    public var json: JSONValue {
        .object([("samples", .int(samples)), ("max_abs_diff", .double(maxAbsDifference)), ("max_rel_diff", .double(maxRelativeDifference)),
                 ("cosine_min", .double(minCosineSimilarity)), ("argmax_agreement", .double(argmaxAgreement)), ("lengths_differ", .bool(lengthsDiffer))])
    }

    /// Its metrics (`output_*`).
    public var metrics: [(String, Double)] {
        [("output_max_abs_diff", maxAbsDifference), ("output_max_rel_diff", maxRelativeDifference),
         ("output_cosine_min", minCosineSimilarity), ("output_argmax_agreement", argmaxAgreement)]
    }
}
