// Your app's documents. Any objects with an id and text fields work.
export const documents = [
  { id: 1, title: 'BM25', text: 'BM25 ranks documents by term frequency, inverse document frequency and document length.' },
  { id: 2, title: 'Cross-encoders', text: 'A cross-encoder reads the query and a document together and scores how well the document answers the query.' },
  { id: 3, title: 'Inverted index', text: 'An inverted index maps each term to the documents that contain it, so a search engine finds matching documents fast.' },
  { id: 4, title: 'Cats', text: 'Cats sleep for most of the day and are most active at dawn and dusk.' },
  { id: 5, title: 'Vitamin D', text: 'Vitamin D deficiency is associated with weaker bones and a higher risk of fractures in older adults.' },
  { id: 6, title: 'Re-ranking', text: 'Re-ranking takes the top results of a fast first-stage search and orders them again with a slower, more accurate model.' },
  { id: 7, title: 'Coffee', text: 'Coffee contains caffeine, a stimulant that reduces the feeling of tiredness.' },
  { id: 8, title: 'Query expansion', text: 'Query expansion adds related terms to a search query so that documents using other words are found.' },
  { id: 9, title: 'Antibiotics', text: 'Antibiotics kill bacteria or stop them from growing; they do not work against viruses.' },
  { id: 10, title: 'Stemming', text: 'Stemming reduces words to a common root, so a search for running also matches documents about runs and runners.' },
  { id: 11, title: 'Sleep and memory', text: 'Sleep helps the brain consolidate memories formed during the day.' },
  { id: 12, title: 'Search relevance', text: 'A search engine estimates the relevance of each document to a query and shows the most relevant documents first.' },
];
