import Foundation

/// COCO's bounding-box evaluation (the algorithm of pycocotools' COCOeval for iouType "bbox", area range "all",
/// at most 100 detections per image and category): greedy matching by score at IoU thresholds 0.50:0.05:0.95,
/// crowd boxes matched by intersection over the detection's area and never counted as misses, precision made
/// monotone and read at 101 recall points, averaged over the categories that have ground truth.
public enum COCOEvaluation {
    /// A ground-truth box: `box` is [x, y, width, height]; `id` is its annotation id (non-zero).
    public struct Truth: Sendable, Equatable {
        public var id: Int, image: Int, category: Int
        public var box: [Double]
        public var crowd: Bool
        public init(id: Int, image: Int, category: Int, box: [Double], crowd: Bool = false) {
            (self.id, self.image, self.category, self.box, self.crowd) = (id, image, category, box, crowd)
        }
    }

    /// A detection: `box` is [x, y, width, height].
    public struct Detection: Sendable, Equatable {
        public var image: Int, category: Int
        public var box: [Double]
        public var score: Double
        public init(image: Int, category: Int, box: [Double], score: Double) {
            (self.image, self.category, self.box, self.score) = (image, category, box, score)
        }
    }

    /// mAP@[.5:.95], mAP@.5 and mAP@.75 (COCO's AP, AP50, AP75); -1 when no category has ground truth.
    public struct Result: Sendable, Equatable {
        public var map: Double, map50: Double, map75: Double
    }

    static let iouThresholds: [Double] = linspace(0.5, 0.95, 10)
    static let recallThresholds: [Double] = linspace(0, 1, 101)
    static let maxDetections = 100

    /// numpy.linspace's values: i · step + start, the last one exactly `stop`.
    static func linspace(_ start: Double, _ stop: Double, _ n: Int) -> [Double] {
        let step = (stop - start) / Double(n - 1)
        return (0..<n).map { $0 == n - 1 ? stop : Double($0) * step + start }
    }

    /// COCO's box IoU (maskApi's bbIou): over the union, or over the detection's area for a crowd box.
    public static func iou(_ d: [Double], _ g: [Double], crowd: Bool) -> Double {
        let w = min(d[0] + d[2], g[0] + g[2]) - max(d[0], g[0])
        guard w > 0 else { return 0 }
        let h = min(d[1] + d[3], g[1] + g[3]) - max(d[1], g[1])
        guard h > 0 else { return 0 }
        let i = w * h, da = d[2] * d[3]
        return i / (crowd ? da : da + g[2] * g[3] - i)
    }

    /// Evaluates `detections` against `truth` over `images` (every image of the set, with or without boxes).
    public static func evaluate(truth: [Truth], detections: [Detection], images: [Int]) -> Result {
        let imageIDs = Array(Set(images)).sorted()
        let categories = Array(Set(truth.map(\.category))).sorted()
        var gtBy: [Int: [Int: [Truth]]] = [:], dtBy: [Int: [Int: [(Detection, Int)]]] = [:]
        for g in truth { gtBy[g.category, default: [:]][g.image, default: []].append(g) }
        for (k, d) in detections.enumerated() { dtBy[d.category, default: [:]][d.image, default: []].append((d, k + 1)) }
        let T = iouThresholds.count, R = recallThresholds.count
        var precision: [Double] = []   // every (threshold, recall point, category with truth)
        var p50: [Double] = [], p75: [Double] = []
        for c in categories {
            // Per image: the matching; then everything concatenated and sorted by score across images.
            var scores: [Double] = [], matched: [[Bool]] = Array(repeating: [], count: T), ignored: [[Bool]] = Array(repeating: [], count: T)
            var npig = 0
            for image in imageIDs {
                let gts = gtBy[c]?[image] ?? []
                let dts = (dtBy[c]?[image] ?? []).enumerated().sorted { a, b in
                    a.element.0.score != b.element.0.score ? a.element.0.score > b.element.0.score : a.offset < b.offset
                }.prefix(maxDetections).map(\.element.0)
                if gts.isEmpty && dts.isEmpty { continue }
                // Non-crowd truth first (a stable sort on the ignore flag).
                let gt = gts.filter { !$0.crowd } + gts.filter(\.crowd)
                npig += gt.filter { !$0.crowd }.count
                let ious = dts.map { d in gt.map { iou(d.box, $0.box, crowd: $0.crowd) } }
                for (t, threshold) in iouThresholds.enumerated() {
                    var gtTaken = [Bool](repeating: false, count: gt.count)
                    for (di, _) in dts.enumerated() {
                        var best = min(threshold, 1 - 1e-10), m = -1
                        for (gi, g) in gt.enumerated() {
                            if gtTaken[gi] && !g.crowd { continue }
                            if m > -1 && !gt[m].crowd && g.crowd { break }
                            if ious[di][gi] < best { continue }
                            best = ious[di][gi]
                            m = gi
                        }
                        if m == -1 {
                            matched[t].append(false)
                            ignored[t].append(false)
                        } else {
                            matched[t].append(true)
                            ignored[t].append(gt[m].crowd)
                            gtTaken[m] = true
                        }
                    }
                }
                scores += dts.map(\.score)
            }
            guard npig > 0 else { continue }
            let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
            for t in 0..<T {
                // Detections matched to crowd boxes are neither true nor false positives but keep their place, repeating
                // the recall and precision before them (as in pycocotools' cumulative sums).
                var full: [(Double, Double)] = []
                var tpRun = 0.0, fpRun = 0.0
                for i in order {
                    if !ignored[t][i] { if matched[t][i] { tpRun += 1 } else { fpRun += 1 } }
                    full.append((tpRun / Double(npig), tpRun / (fpRun + tpRun + Double.ulpOfOne)))
                }
                var envelope = full.map(\.1)
                if envelope.count > 1 { for i in stride(from: envelope.count - 1, to: 0, by: -1) where envelope[i] > envelope[i - 1] { envelope[i - 1] = envelope[i] } }
                let recalls = full.map(\.0)
                var q = [Double](repeating: 0, count: R)
                var lo = 0
                for (ri, r) in recallThresholds.enumerated() {
                    while lo < recalls.count && recalls[lo] < r { lo += 1 }   // searchsorted, side "left"
                    if lo < envelope.count { q[ri] = envelope[lo] } else { break }
                }
                precision += q
                if t == 0 { p50 += q }
                if t == 5 { p75 += q }
            }
        }
        func mean(_ v: [Double]) -> Double { v.isEmpty ? -1 : v.reduce(0, +) / Double(v.count) }
        return Result(map: mean(precision), map50: mean(p50), map75: mean(p75))
    }
}
