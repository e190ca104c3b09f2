import XCTest
@testable import NeuralNet
