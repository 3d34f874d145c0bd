/**
 * A caption's keywords as chips (keyword mode). A plain list, so a screen reader says "Keywords of photo.jpg,
 * list, 5 items" and reads each; the chips are not controls, so they take no Tab stop of their own.
 */
export function KeywordChips({
  keywords,
  imageName,
  className
}: {
  keywords: readonly string[]
  imageName: string
  className?: string
}): React.JSX.Element {
  return (
    <ul
      className={`keywords${className ? ` ${className}` : ''}`}
      role="list"
      aria-label={`Keywords of ${imageName}`}
      data-testid="keywords"
    >
      {keywords.map((keyword) => (
        <li key={keyword} className="keyword-chip">
          {keyword}
        </li>
      ))}
    </ul>
  )
}
