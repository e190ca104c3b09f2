import XCTest
@testable import Storage
