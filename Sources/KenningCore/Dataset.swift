
/// A data set split into train and test parts; samples are raw values, preprocessing belongs to the model wrapper.
public protocol Dataset: Sendable {
    var classNames: [String] { get }
    /// Shape of one raw sample (e.g. `[8, 8]`).
    var sampleShape: [Int] { get }
    var trainIndices: [Int] { get }
    var testIndices: [Int] { get }
    var batchSize: Int { get }
    func sample(_ index: Int) -> [Float]
    func label(_ index: Int) -> Int
    /// The shapes of a sample's parts when it feeds several model inputs (its values are the parts one after another);
    /// one part, `sampleShape`, otherwise.
    var inputShapes: [[Int]] { get }
}

extension Dataset {
    public var inputShapes: [[Int]] { [sampleShape] }
}
